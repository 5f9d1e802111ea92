"""The Prometheus instruments of the event system, which the bus, the outbox and the worker
record into (events/ops/metrics.py serves them).

Handler runs are timed on the hot path with two `perf_counter()` calls and one deque append;
a daemon thread, started by `start_flusher()` from EventsConfig.ready() (never at import),
folds the samples into the Prometheus metrics once a second, and `flush()` does it on demand
(before a scrape). A Prometheus `observe()` costs ~0.6 µs, more than a no-op Django receiver,
so doing it inline would triple the cost of dispatch (bench/bus_dispatch.py).
"""

import os
import threading
import time
from collections import deque
from typing import Any

from prometheus_client import Counter, Histogram

EVENTS_PUBLISHED = Counter(
    "conduit_events_published_total", "Events published, by event type.", ["type"]
)
HANDLER_RUNS = Counter(
    "conduit_event_handler_runs_total",
    "Event handler runs, by handler, mode (inline/background) and outcome (ok/error).",
    ["handler", "mode", "outcome"],
)
HANDLER_DURATION = Histogram(
    "conduit_event_handler_duration_seconds",
    "Time spent in event handlers, by handler and mode.",
    ["handler", "mode"],
    buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0),
)
DELIVERIES_CLAIMED = Counter(
    "conduit_event_deliveries_claimed_total", "Background deliveries claimed by a worker."
)
DELIVERIES_RUN = Counter(
    "conduit_event_deliveries_run_total",
    "Background deliveries run by a worker, by outcome (ok/failed).",
    ["outcome"],
)
DELIVERIES_RETRIED = Counter(
    "conduit_event_deliveries_retried_total", "Background deliveries scheduled for a retry."
)
DELIVERIES_DEAD = Counter(
    "conduit_event_deliveries_dead_total", "Deliveries that failed and wait for an operator."
)

FLUSH_INTERVAL_SECONDS = 1.0
_samples: deque[tuple[str, str, bool, float]] = deque(maxlen=100_000)
_flush_lock = threading.Lock()
_flusher_lock = threading.Lock()
_flusher: threading.Thread | None = None
_fork_hook_registered = False

# The hot path appends straight to the buffer: `record_sample((handler, mode, ok, seconds))`.
record_sample = _samples.append


def record_handler_run(handler: str, mode: str, ok: bool, seconds: float) -> None:
    record_sample((handler, mode, ok, seconds))


# `labels()` looks its child up under a lock on every call (~1.5 µs); the children never change,
# so each is looked up once (a page view publishes an event on the read path).
_published: dict[str, Any] = {}
_runs: dict[tuple[str, str, bool], tuple[Any, Any]] = {}


def record_published(type_name: str) -> None:
    counter = _published.get(type_name)
    if counter is None:
        counter = _published[type_name] = EVENTS_PUBLISHED.labels(type_name)
    counter.inc()


def flush() -> None:
    """Move the buffered handler samples into the Prometheus metrics."""
    with _flush_lock:
        while _samples:
            try:
                handler, mode, ok, seconds = _samples.popleft()
            except IndexError:
                break
            instruments = _runs.get((handler, mode, ok))
            if instruments is None:
                instruments = _runs[(handler, mode, ok)] = (
                    HANDLER_RUNS.labels(handler, mode, "ok" if ok else "error"),
                    HANDLER_DURATION.labels(handler, mode),
                )
            instruments[0].inc()
            instruments[1].observe(seconds)


def start_flusher() -> None:
    """One flusher thread per process: this one now, and one in every forked child (a
    gunicorn worker forked after start-up inherits the buffer but not the thread).
    Calling it again is harmless."""
    global _fork_hook_registered
    with _flusher_lock:
        if not _fork_hook_registered:
            os.register_at_fork(after_in_child=_restart_in_child)
            _fork_hook_registered = True
        _start_thread()


def _restart_in_child() -> None:
    global _flusher, _flush_lock
    # The parent's flusher may have held the lock at the fork; the child's copy would stay
    # locked forever.
    _flush_lock = threading.Lock()
    _flusher = None
    _start_thread()


def _start_thread() -> None:
    global _flusher
    if _flusher is not None and _flusher.is_alive():
        return
    _flusher = threading.Thread(target=_flush_forever, name="event-metrics-flusher", daemon=True)
    _flusher.start()


def _flush_forever() -> None:
    while True:
        time.sleep(FLUSH_INTERVAL_SECONDS)
        flush()
