"""Reads remembered until the next business change.

Every committed business change publishes an event, and `invalidate_read_cache`, wired inline
to each event class that can change a read (the apps' receivers.py), replaces a shared version
stamp right after the commit.
`read_through` keys what it remembers by that stamp, so nothing is served after a change it
does not show: a reader still answering from the old stamp started before the change was
visible, as it would have without a cache. The stamp lives in the shared `default` cache (a
file on one host; Redis or Memcached across hosts, via CACHE_URL); the remembered values in
each process's memory (`reads`). READ_CACHE_SECONDS=0 turns it off.

Selectors cache what every viewer sees alike (rows, totals, tags, profiles, the user behind a
token) and compute what differs per viewer (`favorited`, `following`) with one small query
that is remembered per viewer and page.
"""

import hashlib
import logging
import uuid
from collections.abc import Callable, Hashable

from django.conf import settings
from django.core.cache import caches

from events.core.event import Event

logger = logging.getLogger(__name__)

VERSION_KEY = "conduit:read-version"
_MISSING = object()


def invalidate_read_cache(event: Event | None = None) -> None:
    """Every business change makes everything remembered stale (coarse, and always right)."""
    caches["default"].set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def read_through[T](parts: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned for the same `parts` since the last business change."""
    seconds = settings.READ_CACHE_SECONDS
    if not seconds:
        return compute()
    try:
        version = caches["default"].get(VERSION_KEY, "0")
    except Exception:  # a broken shared cache must not break reads
        logger.exception("The read cache's version stamp is unavailable")
        return compute()
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    key = f"conduit:{version}:{digest}"
    reads = caches["reads"]
    value = reads.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        reads.set(key, value, seconds)
    return value
