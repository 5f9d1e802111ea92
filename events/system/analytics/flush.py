"""Each process's flusher: every ANALYTICS_FLUSH_SECONDS a daemon thread adds what the process
tallied (analytics/tally.py) to the database, in one transaction:

- views per article, searches per (day, kind, value), requests per minute (and the traffic
  alerts they cross), slow statements per (shape, minute) (and their first report);
- events published per type and handler runs and failures per handler, this hour: the
  growth of this process's Prometheus counters (events/core/metrics.py) since the last
  flush, so the hot path pays nothing more for them.

How late and how lossy: a count reaches the database at most ANALYTICS_FLUSH_SECONDS (plus the
flush itself) after it happened. A failed flush keeps its counts and adds them to the next
one. A process stopped normally flushes on its way out (atexit); a killed one (SIGKILL, out of
memory) loses what it tallied since its last flush: at most ANALYTICS_FLUSH_SECONDS of its
own views, searches, requests, slow statements and metric growth. Bounds, so that a flood or a
long outage cannot exhaust memory: 100,000 distinct searches waiting (more new values are
dropped, the known ones still counted), 10,000 slow statements, and, while no flusher runs,
1,000,000 of each kind of tally (analytics/tally.py).

The flusher starts with a process's first database connection (the worker's, a command's) or
first request (a web process answering from the read cache may never connect);
ANALYTICS_FLUSH_SECONDS = 0 starts none (the test suite calls `flush()` itself).
"""

import atexit
import logging
import os
import threading
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.backends.signals import connection_created

from events.core import metrics
from events.core.unit_of_work import unit_of_work
from events.system.analytics import services, tally
from events.system.analytics.models import HourlyCount
from events.system.analytics.tally import SlowSample

logger = logging.getLogger(__name__)

MAX_PENDING_KEYS = 100_000

_lock = threading.Lock()
_thread: threading.Thread | None = None
_state_lock = threading.Lock()
_stop = threading.Event()


class Pending:
    """What was drained from the tally and not yet committed; kept across a failed flush."""

    def __init__(self) -> None:
        self.views: Counter[int] = Counter()
        self.searches: dict[tuple[date, str, str], tuple[int, int, int]] = {}
        self.requests: Counter[int] = Counter()
        self.slow_queries: list[SlowSample] = []
        # The counters' values at the last committed flush: (kind, name) -> value.
        self.metrics_seen: dict[tuple[str, str], float] = {}

    def take_tally(self) -> None:
        self.views.update(tally.drain(tally.views))
        for sample in tally.drain(tally.searches):
            key = (sample.day, sample.kind, sample.value)
            if key not in self.searches and len(self.searches) >= MAX_PENDING_KEYS:
                continue  # a flood of distinct values; the counts of known ones go on
            searches, results, empty = self.searches.get(key, (0, 0, 0))
            found = sample.results
            self.searches[key] = (searches + 1, results + found, empty + (found == 0))
        self.requests.update(tally.drain(tally.requests))
        room = tally.MAX_SLOW_SAMPLES - len(self.slow_queries)
        self.slow_queries += tally.drain(tally.slow_queries)[:room]

    def any(self) -> bool:
        return bool(self.views or self.searches or self.requests or self.slow_queries)

    def clear(self) -> None:
        self.views.clear()
        self.searches.clear()
        self.requests.clear()
        self.slow_queries.clear()


_pending = Pending()


def metric_values() -> dict[tuple[str, str], float]:
    """This process's counts so far: events published per type, handler runs and failures
    per handler (inline and background together)."""
    metrics.flush()
    values: Counter[tuple[str, str]] = Counter()
    for sample in metrics.EVENTS_PUBLISHED.collect()[0].samples:
        if sample.name.endswith("_total"):
            values[(HourlyCount.PUBLISHED, sample.labels["type"])] += sample.value
    for sample in metrics.HANDLER_RUNS.collect()[0].samples:
        if sample.name.endswith("_total"):
            values[(HourlyCount.HANDLER_RUNS, sample.labels["handler"])] += sample.value
            if sample.labels["outcome"] == "error":
                values[(HourlyCount.HANDLER_FAILURES, sample.labels["handler"])] += sample.value
    return dict(values)


def _growth(now: dict[tuple[str, str], float], seen: dict[tuple[str, str], float]) -> dict:
    grown = {}
    for key, value in now.items():
        # A counter below what we saw was reset (a new process under multiprocess metrics).
        delta = value - seen.get(key, 0) if value >= seen.get(key, 0) else value
        if delta:
            grown[key] = int(delta)
    return grown


def flush(now: datetime | None = None) -> dict[str, Any]:
    """Add everything tallied so far to the database, in one transaction; on failure keep it
    for the next flush. Returns what was written (for logs and tests)."""
    now = now or datetime.now(UTC)
    with _lock:
        pending = _pending
        pending.take_tally()
        metrics_now = metric_values()
        grown = _growth(metrics_now, pending.metrics_seen)
        if not (pending.any() or grown):
            return {}
        try:
            with unit_of_work():
                written = {
                    "views": services.views_add(pending.views, now=now),
                    "searches": services.searches_add(pending.searches),
                    "requests": sum(pending.requests.values()),
                    "traffic_alerts": services.traffic_add(pending.requests, now=now),
                    "slow_queries": services.slow_queries_add(pending.slow_queries),
                    "hourly": services.hourly_add(grown, hour=_hour(now)),
                }
        except Exception:
            logger.exception("Analytics flush failed; its counts are kept for the next one")
            return {}
        pending.clear()
        pending.metrics_seen = metrics_now
        return written


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def reset() -> None:
    """Forget everything tallied and not flushed, and count metrics from now on (a new
    process's start, and each test's)."""
    with _lock:
        tally.clear()
        _pending.clear()
        _pending.metrics_seen = metric_values()


# The thread ----------------------------------------------------------------------------------


def ensure_flusher() -> None:
    """Start this process's flusher unless it runs (or ANALYTICS_FLUSH_SECONDS is 0)."""
    if _thread is not None or not settings.ANALYTICS_FLUSH_SECONDS:
        return
    _start()


def _start() -> None:
    global _thread
    with _state_lock:
        if _thread is not None:
            return
        _thread = threading.Thread(target=_flush_forever, name="analytics-flusher", daemon=True)
        _thread.start()


def stop_flusher() -> None:
    """Stop this process's flusher after one last flush (a test's clean-up)."""
    global _thread
    with _state_lock:
        thread, _thread = _thread, None
    if thread is not None:
        _stop.set()
        thread.join()
        _stop.clear()


def _flush_forever() -> None:
    interval = settings.ANALYTICS_FLUSH_SECONDS
    try:
        while not _stop.wait(interval):
            _flush_safely()
        _flush_safely()
    finally:
        connections.close_all()  # this thread's own


def _flush_safely() -> None:
    try:
        flush()
    except Exception:  # the thread must outlive any one failure
        logger.exception("Analytics flush failed")
    finally:
        close_old_connections()


def _flush_at_exit() -> None:
    if _thread is None:  # counting was never written here (a command, the test suite)
        return
    try:
        flush()
    except Exception:  # the database may be gone already; nothing more to do on the way out
        logger.exception("Analytics' last flush failed")


def _forked() -> None:
    """A forked child (a gunicorn worker under --preload) starts afresh: what the parent
    tallied is the parent's to write, and its flusher thread did not come along."""
    global _thread, _lock, _state_lock, _stop
    _lock, _state_lock, _stop = threading.Lock(), threading.Lock(), threading.Event()
    _thread = None
    tally.clear()
    _pending.clear()
    _pending.metrics_seen = metric_values()


def _connection_created(**kwargs: Any) -> None:
    ensure_flusher()


def install() -> None:
    """Start-up (AnalyticsConfig.ready()): the first database connection starts the flusher;
    a normal exit flushes what is left; a forked child forgets its parent's tally."""
    connection_created.connect(
        _connection_created, dispatch_uid="events.system.analytics.flush.start"
    )
    atexit.register(_flush_at_exit)
    os.register_at_fork(after_in_child=_forked)
