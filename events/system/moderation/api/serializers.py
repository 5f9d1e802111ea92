"""The flag extension's input and output (not part of the RealWorld spec)."""

from typing import Any

from rest_framework import serializers

from conduit.api import format_timestamp
from conduit.fields import StrictStringMixin, TextField
from events.system.moderation.models import Flag, Reason

NOTE_MAX_LENGTH = 1000


class ReasonField(StrictStringMixin, serializers.ChoiceField):
    default_error_messages = {
        **StrictStringMixin.default_error_messages,
        "invalid_choice": f"must be one of {', '.join(Reason.values)}",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Reason.values, **kwargs)


class FlagInput(serializers.Serializer):
    reason = ReasonField()
    note = TextField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)


def flag_data(flag: Flag) -> dict[str, Any]:
    return {
        "reason": flag.reason,
        "note": flag.note,
        "createdAt": format_timestamp(flag.created_at),
    }


# Describes flag_data's dicts for the API schema; the views never run it.
class FlagOutput(serializers.Serializer):
    """Your flag on an article or a comment (the first one: a repeat changes nothing)."""

    reason = serializers.ChoiceField(Reason.values)
    note = serializers.CharField(allow_blank=True)
    createdAt = serializers.DateTimeField()
