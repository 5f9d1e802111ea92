"""What a process remembers beside the read cache is bounded by a setting each
(docs/performance.md, "Memory"): fed more than its size, a cache keeps its size."""

from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings

from articles import selectors
from conduit import auth
from conduit.api import format_timestamp


def test_formatted_timestamps_are_kept_up_to_their_setting():
    size = settings.TIMESTAMP_CACHE_ENTRIES
    assert size == format_timestamp.cache_info().maxsize
    first = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(size + 100):
        assert format_timestamp(first + timedelta(milliseconds=n)).startswith("2026-01-01T")

    assert format_timestamp.cache_info().currsize == size
    format_timestamp.cache_clear()


def test_verified_tokens_are_kept_up_to_their_setting():
    size = settings.TOKEN_CACHE_ENTRIES
    assert auth._verified.maxsize == size
    expiry = int(datetime.now(UTC).timestamp()) + 3600
    for n in range(size + 10):
        token = jwt.encode(
            {"sub": str(n), "exp": expiry}, settings.JWT_SECRET, algorithm=settings.JWT_ALGORITHM
        )
        assert auth.token_claims(token).user_id == n

    with auth._verified_lock:
        assert len(auth._verified) == size
        auth._verified.clear()


def test_the_list_statements_are_kept_up_to_their_setting():
    for built in (selectors._page, selectors._tag_count, selectors._user_count):
        assert built.cache_info().maxsize == settings.STATEMENT_CACHE_ENTRIES
