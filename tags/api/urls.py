from django.urls import path

from tags.api.views import TagListApi

urlpatterns = [
    path("tags", TagListApi.as_view(), name="tag-list"),
]
