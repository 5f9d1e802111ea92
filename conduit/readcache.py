"""Anonymous API reads, cached until the next business change.

Every committed business change publishes an event, and `invalidate_read_cache`, subscribed
inline to the `Event` base class, replaces the shared version stamp right after the commit.
A cached response is keyed by that stamp, so none is served after a change it does not show.
The stamp lives in the shared cache (`default`: a file cache on one host; Redis or Memcached
across hosts, via CACHE_URL); the responses themselves in each process's memory (`reads`).
Requests with credentials are never cached: they carry `favorited` / `following` per viewer;
nor are responses marked `Cache-Control: no-store`.
"""

import hashlib
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse

from events.base import Event

logger = logging.getLogger(__name__)

VERSION_KEY = "conduit:read-version"


def invalidate_read_cache(event: Event | None = None) -> None:
    """Every business change makes every cached read stale (coarse, and always right)."""
    caches["default"].set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


class AnonymousReadCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = settings.READ_CACHE_SECONDS
        if (
            not seconds
            or request.method != "GET"
            or "HTTP_AUTHORIZATION" in request.META
            or not request.path.startswith("/api/")
        ):
            return self.get_response(request)
        try:
            version = caches["default"].get(VERSION_KEY, "0")
        except Exception:  # a broken cache must not break reads
            logger.exception("Read cache unavailable")
            return self.get_response(request)
        path = request.get_full_path().encode()
        key = f"conduit:read:{version}:{hashlib.blake2b(path, digest_size=16).hexdigest()}"
        reads = caches["reads"]
        cached = reads.get(key)
        if cached is not None:
            return HttpResponse(cached, content_type="application/json")
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not response.streaming
            and "no-store" not in response.get("Cache-Control", "")
        ):
            reads.set(key, response.content, seconds)
        return response
