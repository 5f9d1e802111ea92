from django.urls import path

from comments.api import views
from conduit.api import by_method

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
