"""Input validation and output shape of comments; output expects comments.selectors rows."""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from conduit.api import format_timestamp
from conduit.fields import TextField


class CommentCreateInput(serializers.Serializer):
    body = TextField()


def comment_data(row: Mapping[str, Any]) -> dict[str, Any]:
    """A comment row from comments.selectors."""
    return {
        "id": row["id"],
        "createdAt": format_timestamp(row["created_at"]),
        "updatedAt": format_timestamp(row["updated_at"]),
        "body": row["body"],
        "author": {
            "username": row["author__username"],
            "bio": row["author__bio"],
            "image": row["author__image"],
            "following": row["author_following"],
        },
    }
