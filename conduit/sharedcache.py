"""A broken shared cache is loud.

The shared cache (`CACHES["default"]`, `CACHE_URL`) holds the read cache's version stamp and
the rate limits' counts. When it fails, its users fall back (reads go to the database, rate
limits let requests through) so that the site stays up; this module makes sure somebody
hears of it:

- `report_failure()`: every failure counts in `conduit_shared_cache_errors_total{operation}`
  (/metrics), and is logged at error level, with the exception, at most once a minute per
  process (the next line says how many failures it left unsaid);
- `check_shared_cache`: a system check (conduit.E001) that fails at start, so `manage.py
  check`, `migrate`, `make run` and `make serve` stop with the reason when `CACHE_URL` names a
  server that cannot be reached.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.cache import caches
from prometheus_client import Counter

logger = logging.getLogger(__name__)

ERRORS = Counter(
    "conduit_shared_cache_errors_total",
    "Failed uses of the shared cache (CACHE_URL), by operation; each fell back.",
    ["operation"],
)
LOG_INTERVAL_SECONDS = 60.0
PROBE_KEY = "conduit:check"

# Seconds on a monotonic clock; tests replace it.
clock: Callable[[], float] = time.monotonic

_lock = threading.Lock()
_last_logged_at: float | None = None
_unlogged = 0


def report_failure(operation: str, error: BaseException) -> None:
    """Count a failed use of the shared cache and log it, at most once a minute per process
    (a dead Redis fails every request: one line a minute says so without drowning the log)."""
    global _last_logged_at, _unlogged
    ERRORS.labels(operation).inc()
    now = clock()
    with _lock:
        if _last_logged_at is not None and now - _last_logged_at < LOG_INTERVAL_SECONDS:
            _unlogged += 1
            return
        _last_logged_at, unlogged, _unlogged = now, _unlogged, 0
    logger.error(
        "The shared cache (CACHE_URL %s) failed during %s: %s. Reads fall back to the database "
        "and rate limits let requests through until it answers (%d more failures since the "
        "last report; conduit_shared_cache_errors_total counts them all).",
        describe_location(),
        operation,
        error,
        unlogged,
        exc_info=error,
    )


def reset() -> None:
    """Forget when this process last logged (a test's start)."""
    global _last_logged_at, _unlogged
    with _lock:
        _last_logged_at, _unlogged = None, 0


class TolerantCache:
    """The shared cache for a user that can do without it: a failed `get`, `add` or `set` is
    reported under `operation` and answers the fallback given (DRF's throttle takes it as its
    cache)."""

    def __init__(self, operation: str) -> None:
        self.operation = operation

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return caches["default"].get(key, default)
        except Exception as error:
            report_failure(self.operation, error)
            return default

    def add(self, key: str, value: Any, timeout: float | None, *, fallback: bool = True) -> bool:
        try:
            return caches["default"].add(key, value, timeout)
        except Exception as error:
            report_failure(self.operation, error)
            return fallback

    def set(self, key: str, value: Any, timeout: float | None) -> None:
        try:
            caches["default"].set(key, value, timeout)
        except Exception as error:
            report_failure(self.operation, error)


def describe_location() -> str:
    """Where the shared cache is, without a password that its URL may carry."""
    location = settings.CACHES["default"].get("LOCATION", "")
    locations = [location] if isinstance(location, str) else list(location)
    described = []
    for one in locations:
        parts = urlsplit(one)
        if parts.password is not None:
            netloc = f"***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
            one = parts._replace(netloc=netloc).geturl()
        described.append(one)
    return ", ".join(described) or settings.CACHES["default"]["BACKEND"]


def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """conduit.E001: the shared cache answers a write (its server is up, the client library is
    installed, the credentials are right)."""
    try:
        caches["default"].set(PROBE_KEY, 1, timeout=10)
    except Exception as error:
        return [
            checks.Error(
                f"The shared cache cannot be reached ({describe_location()}): "
                f"{type(error).__name__}: {error}",
                hint=(
                    "Start the server that CACHE_URL names, or point CACHE_URL at one that runs "
                    "(docs/operating.md, 'Several hosts'). Without it every web process would "
                    "fall back to the database on each read and count rate limits nowhere."
                ),
                id="conduit.E001",
            )
        ]
    return []
