"""Slow SQL statements, seen through `connection.execute_wrapper` on every database connection
of every process (web, worker, commands).

Each statement costs two clock reads; one slower than ANALYTICS_SLOW_QUERY_MS (0: off) is
noted in the tally with its shape and the request that ran it, and the flusher publishes
SlowQueryDetected, at most once per shape per minute over every process (analytics/flush.py).
Nothing is written from inside the wrapper: the statement may belong to a transaction that
rolls back, or leave the connection unusable.
"""

import hashlib
import re
from collections.abc import Callable
from contextvars import ContextVar
from time import perf_counter
from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from events.core.context import current_context
from events.system.analytics import tally

MAX_SHAPE_LENGTH = 1000

# The path of the request being served (set by analytics/middleware.py), for the report.
request_path: ContextVar[str] = ContextVar("analytics_request_path", default="")

_STRING = re.compile(r"'(?:[^']|'')*'")
_PLACEHOLDER = re.compile(r"%s|\$\d+|\?")
_NUMBER = re.compile(r"(?<![\w.\"])-?\d+(?:\.\d+)?(?![\w\"])")
_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)*\s*\)")
_LISTS = re.compile(r"\(\.\.\.\)(?:\s*,\s*\(\.\.\.\))+")
_SPACE = re.compile(r"\s+")


def statement_shape(sql: str) -> str:
    """The statement with its parameters and literals as `?`, lists of them as `(...)` (so an
    IN of 3 ids and one of 300 are one shape), whitespace collapsed, truncated."""
    text = _STRING.sub("?", sql)
    text = _PLACEHOLDER.sub("?", text)
    text = _NUMBER.sub("?", text)
    text = _SPACE.sub(" ", text).strip()
    text = _LIST.sub("(...)", text)
    text = _LISTS.sub("(...), ...", text)
    return text[:MAX_SHAPE_LENGTH]


def fingerprint(shape: str) -> str:
    return hashlib.blake2b(shape.encode(), digest_size=8).hexdigest()


def observe(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
    """The execute wrapper: time the statement; note it when slow."""
    start = perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed_ms = (perf_counter() - start) * 1000
        threshold_ms = settings.ANALYTICS_SLOW_QUERY_MS
        if threshold_ms and elapsed_ms >= threshold_ms:
            shape = statement_shape(sql)
            tally.slow_query_seen(
                tally.SlowSample(
                    fingerprint(shape),
                    shape,
                    round(elapsed_ms, 3),
                    request_path.get(),
                    current_context().request_id,
                    tally.clock(),
                )
            )


def watch(sender: type, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Wrap every statement of a newly opened connection (once per connection object)."""
    if observe not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, observe)


def install() -> None:
    connection_created.connect(watch, dispatch_uid="events.system.analytics.slowqueries.watch")
