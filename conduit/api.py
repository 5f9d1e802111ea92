"""API conventions shared by every app: timestamps, paging, envelopes."""

from dataclasses import dataclass
from datetime import UTC, datetime

from rest_framework import serializers
from rest_framework.request import Request

from conduit.errors import Invalid

MAX_PAGE_SIZE = 100


def format_timestamp(value: datetime) -> str:
    """ISO 8601, UTC, milliseconds: `2026-02-18T03:22:56.637Z`."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TimestampField(serializers.Field):
    def to_representation(self, value: datetime) -> str:
        return format_timestamp(value)


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def _non_negative_int(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(name, "must be an integer") from None
    if value < minimum:
        raise Invalid(name, f"must be greater than or equal to {minimum}")
    return value


def page_from_request(request: Request, default_limit: int = 20) -> Page:
    """`limit` (1..100, default 20) and `offset` (>= 0) from the query string; 422 when invalid."""
    limit = min(_non_negative_int(request, "limit", default_limit, 1), MAX_PAGE_SIZE)
    return Page(limit=limit, offset=_non_negative_int(request, "offset", 0, 0))


def unwrap(request: Request, name: str) -> dict:
    """The object inside RealWorld's envelope (`{"article": {...}}`); 422 when absent."""
    body = request.data
    if not isinstance(body, dict) or not isinstance(body.get(name), dict):
        raise Invalid("body", f'must be a JSON object wrapped in "{name}"')
    return body[name]
