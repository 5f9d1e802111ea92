"""The tag list input field (the plain text fields are conduit.fields.TextField)."""

from typing import Any

from rest_framework import serializers

from tags.services import TAG_NAME_MAX_LENGTH


class TagListField(serializers.Field):
    """A list of tag names: trimmed, author's order kept, duplicates dropped. `null`, a
    non-list or a non-string item is 422; blank names are 422."""

    default_error_messages = {
        "invalid": "must be a list of strings",
        "null": "must be a list of strings",
        "blank": "can't contain blank names",
        "max_length": f"names are at most {TAG_NAME_MAX_LENGTH} characters",
    }

    def to_internal_value(self, data: Any) -> list[str]:
        if not isinstance(data, list) or not all(isinstance(name, str) for name in data):
            self.fail("invalid")
        names = [name.strip() for name in data]
        if not all(names):
            self.fail("blank")
        if any(len(name) > TAG_NAME_MAX_LENGTH for name in names):
            self.fail("max_length")
        return list(dict.fromkeys(names))

    def to_representation(self, value: list[str]) -> list[str]:
        return value
