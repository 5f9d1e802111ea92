"""Input fields that answer in RealWorld's words; shared by every app's input serializers."""

import re
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers

from conduit.text import CONTROL_CHARACTERS

BLANK = "can't be blank"


class StrictStringMixin:
    """A string and nothing else: DRF would turn 42 into "42". Missing, null, empty and
    whitespace-only are all "can't be blank" (whitespace-only even where whitespace is kept,
    as in passwords)."""

    default_error_messages = {
        "required": BLANK,
        "blank": BLANK,
        "null": BLANK,
        "not_a_string": "must be a string",
        "invalid": "is invalid",
        "max_length": "is too long (maximum is {max_length} characters)",
        "min_length": "is too short (minimum is {min_length} characters)",
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if isinstance(data, str) and not data.strip() and not self.allow_blank:
            self.fail("blank")
        return super().run_validation(data)


class TextField(StrictStringMixin, serializers.CharField):
    """A required-by-default string field with RealWorld's error words."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # DRF refuses NUL in its own words; a NUL is a control character like any other.
        for validator in self.validators:
            if isinstance(validator, ProhibitNullCharactersValidator):
                validator.message = CONTROL_CHARACTERS


class PatternField(StrictStringMixin, serializers.CharField):
    """A string that, trimmed, matches `pattern` whole (conduit/patterns.py); the API schema
    states the same pattern, whitespace around allowed (conduit/schema.py)."""

    def __init__(self, pattern: str, **kwargs: Any) -> None:
        self.pattern = pattern
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value and re.fullmatch(self.pattern, value) is None:
            self.fail("invalid")
        return value
