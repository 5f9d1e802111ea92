"""The tag list input field (the plain text fields are conduit.fields.TextField)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conduit.patterns import NOT_BLANK_NO_CONTROL
from tags.services import TAG_NAME_MAX_LENGTH, TAGS_PER_ARTICLE_MAX


@extend_schema_field(
    {
        "type": "array",
        "maxItems": TAGS_PER_ARTICLE_MAX,
        "items": {
            "type": "string",
            "maxLength": TAG_NAME_MAX_LENGTH,
            "pattern": NOT_BLANK_NO_CONTROL,
        },
    }
)
class TagListField(serializers.Field):
    """A JSON list of strings; `null`, a non-list or a non-string item is 422. The names are
    cleaned (trimmed, deduplicated, blank or long ones refused) by tags.services, the one
    place that knows what a tag name may be."""

    default_error_messages = {
        "invalid": "must be a list of strings",
        "null": "must be a list of strings",
    }

    def to_internal_value(self, data: Any) -> list[str]:
        if not isinstance(data, list) or not all(isinstance(name, str) for name in data):
            self.fail("invalid")
        return data

    def to_representation(self, value: list[str]) -> list[str]:
        return value
