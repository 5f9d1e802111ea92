from django.urls import path

from conduit.api import by_method
from events.system.moderation.api import views

urlpatterns = [
    path("articles/<str:slug>/flag", by_method(POST=views.ArticleFlagApi), name="article-flag"),
    path(
        "articles/<str:slug>/comments/<int:comment_id>/flag",
        by_method(POST=views.CommentFlagApi),
        name="comment-flag",
    ),
]
