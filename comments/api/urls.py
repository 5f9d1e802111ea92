from django.urls import path

from articles.api.routing import by_method
from comments.api import views

urlpatterns = [
    path(
        "articles/<str:slug>/comments",
        by_method(GET=views.CommentListApi, POST=views.CommentCreateApi),
        name="comment-list",
    ),
    path(
        "articles/<str:slug>/comments/<int:comment_id>",
        by_method(DELETE=views.CommentDeleteApi),
        name="comment-detail",
    ),
]
