"""What this process has counted and not yet written: the hot path of analytics.

A read appends one item to a deque (atomic under the GIL, ~50 ns; no lock, no database); the
flusher (analytics/flush.py) drains the deques every ANALYTICS_FLUSH_SECONDS and adds the
counts to the database in one transaction. Draining pops items one by one, so an item is
either in a deque or drained, never lost or counted twice between threads.

The deques are bounded so that a process whose flusher does not run (ANALYTICS_FLUSH_SECONDS
= 0) cannot grow without end; a running flusher empties them long before.
"""

import time
from collections import deque
from collections.abc import Callable
from datetime import date
from typing import NamedTuple


class SlowSample(NamedTuple):
    fingerprint: str
    shape: str
    duration_ms: float
    path: str
    request_id: str
    at: float  # seconds since the epoch


class SearchSample(NamedTuple):
    day: date
    kind: str
    value: str
    results: int


MAX_ITEMS = 1_000_000
MAX_SLOW_SAMPLES = 10_000

views: deque[int] = deque(maxlen=MAX_ITEMS)
searches: deque[SearchSample] = deque(maxlen=MAX_ITEMS)
requests: deque[int] = deque(maxlen=MAX_ITEMS)
slow_queries: deque[SlowSample] = deque(maxlen=MAX_SLOW_SAMPLES)

# Seconds since the epoch; tests replace it to pin requests to a minute.
clock: Callable[[], float] = time.time

view_seen = views.append
search_seen = searches.append
slow_query_seen = slow_queries.append


def request_seen() -> None:
    """One more request served in the current clock minute."""
    requests.append(int(clock() // 60))


def drain[T](items: deque[T]) -> list[T]:
    """Everything appended so far, removed from the deque."""
    drained = []
    pop = items.popleft
    while True:
        try:
            drained.append(pop())
        except IndexError:
            return drained


def clear() -> None:
    for items in (views, searches, requests, slow_queries):
        items.clear()
