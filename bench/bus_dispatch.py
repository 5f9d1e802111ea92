"""Benchmark of the event bus: dispatch overhead next to raw Django signals, and full publish.

    .venv/bin/python bench/bus_dispatch.py                   # SQLite (a throw-away database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conduit .venv/bin/python bench/bus_dispatch.py

Prints (and saves to bench/results/bus-<vendor>.json):
- for 0, 1, 5 and 20 inline subscribers, the in-memory dispatch of a committed event (what
  runs on commit: context, send_robust, timing of each handler) next to a raw
  `Signal.send_robust` to the same number of no-op receivers;
- the cost of a full `publish` (EventRecord insert, delivery rows, commit, dispatch) on the
  configured database, with 0 and 3 background subscribers.
"""

import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conduit.settings")
os.environ.setdefault("DEBUG", "off")  # no query logging in the timings
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("EVENTS_DELIVER_ON_COMMIT", "off")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.dispatch import Signal  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    teardown_databases,
)

from events.bootstrap import database_outbox  # noqa: E402
from events.core import metrics  # noqa: E402
from events.core.bus import EventBus  # noqa: E402
from events.core.context import current_origin  # noqa: E402
from events.core.event import Event  # noqa: E402
from events.models import EventRecord  # noqa: E402
from events.outbox import deliveries  # noqa: E402


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchPinged(Event):
    """Published by the benchmark."""

    type_name: ClassVar[str] = "bench.BenchPinged"
    ping_id: int


def make_handler(index: int):
    def handler(event):
        return None

    handler.__qualname__ = f"bench_handler_{index}"
    return handler


def make_raw_receiver(index: int):
    def receiver(sender, **kwargs):
        return None

    return receiver


def background_handler(event):
    return None


def best_of(function, number: int, repeat: int = 7) -> float:
    """Median of `repeat` runs, in nanoseconds per call."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(number):
            function()
        timings.append((time.perf_counter_ns() - start) / number)
        metrics.flush()
    return statistics.median(timings)


def dispatch_costs() -> list[dict]:
    rows = []
    event = BenchPinged(ping_id=1)
    for subscribers in (0, 1, 5, 20):
        bus = EventBus()
        for index in range(subscribers):
            bus.subscribe(BenchPinged, make_handler(index))
        context = current_origin()

        def in_memory_part_of_publish(bus=bus, context=context):
            # What publish does in memory: find the route; after commit, dispatch to it.
            route = bus.route_for(BenchPinged)
            if route.signals:
                bus.dispatch(event, route.signals, context)

        raw = Signal(use_caching=True)
        receivers = [make_raw_receiver(index) for index in range(subscribers)]
        for receiver in receivers:
            raw.connect(receiver, weak=False)

        number = 20_000
        ours = best_of(in_memory_part_of_publish, number)
        baseline = best_of(lambda: raw.send_robust(BenchPinged, event=event), number)  # noqa: B023
        rows.append(
            {
                "subscribers": subscribers,
                "dispatch_ns": round(ours),
                "raw_send_robust_ns": round(baseline),
                "ratio": round(ours / baseline, 2),
            }
        )
    return rows


def publish_costs() -> list[dict]:
    rows = []
    for background, inline in ((0, 0), (0, 5), (3, 0)):
        bus = EventBus(outbox=database_outbox())
        for index in range(inline):
            bus.subscribe(BenchPinged, make_handler(index))
        for index in range(background):
            handler = make_handler(100 + index)
            bus.subscribe(BenchPinged, handler, background=True)

        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            bus.publish(BenchPinged(ping_id=0))
        inserts = sum(query["sql"].startswith("INSERT") for query in captured.captured_queries)

        number = 400
        counter = iter(range(1, 10**9))
        cost = best_of(lambda: bus.publish(BenchPinged(ping_id=next(counter))), number, 5)  # noqa: B023
        rows.append(
            {
                "background_subscribers": background,
                "inline_subscribers": inline,
                "publish_us": round(cost / 1000, 1),
                "inserts_per_publish": inserts,
                "queries_per_publish": len(captured.captured_queries),
            }
        )
        deliveries().delete()
    rows.append({"event_records_written": EventRecord.objects.count()})
    return rows


def main() -> None:
    vendor = connection.vendor
    print(f"Python {sys.version.split()[0]}, Django {django.get_version()}, database: {vendor}")
    dispatch = dispatch_costs()
    print("\nIn-memory dispatch of a committed event (ns per event)")
    print(f"{'subscribers':>12} {'bus.dispatch':>14} {'raw send_robust':>16} {'ratio':>7}")
    for row in dispatch:
        print(
            f"{row['subscribers']:>12} {row['dispatch_ns']:>14} "
            f"{row['raw_send_robust_ns']:>16} {row['ratio']:>7}"
        )

    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        publish = publish_costs()
    finally:
        teardown_databases(old_config, verbosity=0)
    print(f"\nFull publish on {vendor}, autocommit: one transaction per event (µs per event)")
    print(f"{'background':>11} {'inline':>7} {'publish µs':>11} {'INSERTs':>8} {'queries':>8}")
    for row in publish[:-1]:
        print(
            f"{row['background_subscribers']:>11} {row['inline_subscribers']:>7} "
            f"{row['publish_us']:>11} {row['inserts_per_publish']:>8} "
            f"{row['queries_per_publish']:>8}"
        )

    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"bus-{vendor}.json"
    path.write_text(json.dumps({"dispatch": dispatch, "publish": publish}, indent=2) + "\n")
    print(f"\nSaved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
