"""One access line and two Prometheus samples per request.

The line (logger `conduit.access`) carries the request id, method, path, status, duration and
the authenticated user's id; never a token, a password or an email. The metrics are labelled
by the route's template (`api/articles/<slug:slug>`), not the raw path, so their number of
series is bounded by the URLconf.
"""

import logging
from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

from events.core.context import current_context

logger = logging.getLogger("conduit.access")

HTTP_REQUESTS = Counter(
    "conduit_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "conduit_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# Methods outside these are counted as "other": a client cannot invent label values.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNROUTED = "unrouted"

_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered, or "unrouted" (refused before routing, or no match)."""
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else UNROUTED


def observe(method: str, route: str, status: int, seconds: float) -> None:
    key = (method if method in KNOWN_METHODS else "other", route, str(status))
    instruments = _children.get(key)
    if instruments is None:
        instruments = _children[key] = (HTTP_REQUESTS.labels(*key), HTTP_DURATION.labels(*key))
    instruments[0].inc()
    instruments[1].observe(seconds)


class AccessMiddleware:
    """Inside RequestContextMiddleware, so that the request id and the actor are known."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = perf_counter()
        response = self.get_response(request)
        seconds = perf_counter() - start
        route = route_of(request)
        observe(request.method or "", route, response.status_code, seconds)
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
                "user_id": current_context().actor_id,
            },
        )
        return response
