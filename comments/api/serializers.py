"""Input validation and output shape of comments; output expects comments.selectors rows."""

from typing import Any

from rest_framework import serializers

from articles.api.fields import TextField
from comments.models import Comment
from conduit.api import format_timestamp
from users.api.serializers import profile_data


class CommentCreateInput(serializers.Serializer):
    body = TextField()


def comment_data(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "createdAt": format_timestamp(comment.created_at),
        "updatedAt": format_timestamp(comment.updated_at),
        "body": comment.body,
        "author": profile_data(comment.author, following=comment.author_following),
    }
