"""Input validation and output shape of comments; output expects comments.selectors rows."""

from typing import Any

from rest_framework import serializers

from comments.selectors import CommentRow
from conduit.api import format_timestamp
from conduit.fields import TextField
from users.api.serializers import ProfileOutput, profile_data


class CommentCreateInput(serializers.Serializer):
    body = TextField()


def comment_data(row: CommentRow) -> dict[str, Any]:
    """A comment row from comments.selectors."""
    return {
        "id": row.id,
        "createdAt": format_timestamp(row.created_at),
        "updatedAt": format_timestamp(row.updated_at),
        "body": row.body,
        "author": profile_data(row.author),
    }


# Describes the plain dicts of comment_data for the API schema; the views never run it. Its
# docstring is the schema's text.
class CommentOutput(serializers.Serializer):
    """A comment on an article."""

    id = serializers.IntegerField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    body = serializers.CharField()
    author = ProfileOutput()
