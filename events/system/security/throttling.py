"""Rate limits: DRF throttling with three scopes, installed for every API view
(REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES).

- `login` (POST /users/login) and `registration` (POST /users), counted per client address;
- `writes` (every other POST, PUT, PATCH and DELETE), counted per account (per address for
  an anonymous caller).

Rates are RATE_LIMIT_RATES (docs/security.md); RATE_LIMITS=off turns them all off, for load
tests that create hundreds of users from one address. The counts live in the shared cache
(CACHE_URL), so every process and host counts alike; when it fails, the request is let
through and the failure reported (conduit/sharedcache.py). A refused request is answered 429 with
Retry-After (conduit/errors.py) and recorded once per client, scope and minute
(RateLimitExceeded).
"""

import hashlib
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from conduit.clients import client_ip
from conduit.sharedcache import TolerantCache
from events.system.security import services
from events.system.security.models import CLIENT_IP_MAX_LENGTH

SCOPES = ("login", "registration", "writes")


def throttle_scope(request: Request, view: Any) -> str | None:
    """The scope a request counts against: the view's own (`throttle_scope`), else `writes`
    for a method that changes something, else none."""
    declared = getattr(view, "throttle_scope", None)
    if declared:
        return declared
    return None if request.method in SAFE_METHODS else "writes"


def parse_rate(rate: str) -> tuple[int, int]:
    """`"120/minute"` -> (120, 60): DRF's rate format (a period of s, m, h or d)."""
    count, period = rate.split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0]]


class ScopedRateLimit(SimpleRateThrottle):
    """DRF's sliding-window throttle, with the scope and its rate chosen per request."""

    cache_format = "conduit:throttle:%(scope)s:%(ident)s"
    # A broken shared cache must not refuse every write: it counts nothing, loudly.
    cache = TolerantCache("rate_limit")

    def __init__(self) -> None:
        # SimpleRateThrottle reads a fixed rate here; ours depends on the request.
        self.rate = None

    def allow_request(self, request: Request, view: Any) -> bool:
        if not settings.RATE_LIMITS:
            return True
        self.scope = throttle_scope(request, view)
        if self.scope is None:
            return True
        self.rate = settings.RATE_LIMIT_RATES[self.scope]
        self.num_requests, self.duration = parse_rate(self.rate)
        self.client_ip = client_ip(request)[:CLIENT_IP_MAX_LENGTH]
        # Sign-in and sign-up come from anonymous callers: count them by address, whatever
        # token they send. Other writes need an account: count them by it.
        self.user_id = None
        if self.scope == "writes" and request.user.is_authenticated:
            self.user_id = request.user.pk
        self.client = f"user:{self.user_id}" if self.user_id else f"ip:{self.client_ip}"
        self.path = request.path
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        # Hashed: a forwarded address may hold characters no cache key may.
        ident = hashlib.blake2b(self.client.encode(), digest_size=16).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def throttle_failure(self) -> bool:
        services.rate_limit_exceeded(
            scope=self.scope,
            client=self.client,
            client_ip=self.client_ip,
            user_id=self.user_id,
            path=self.path,
            rate=self.rate,
            at=datetime.fromtimestamp(self.now, UTC),
        )
        return False

    def wait(self) -> float:
        """Until the request whose expiry frees a place leaves the window."""
        counted = self.history[: self.num_requests]
        return max(0.0, self.duration - (self.now - counted[-1])) if counted else 0.0
