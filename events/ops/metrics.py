"""The Prometheus exposition of the event system (GET /metrics, events/api/views.py): the
instruments of events/core/metrics.py and the delivery backlog, read from the database."""

import os
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from events.core import metrics
from events.outbox import delivery_backlog


class DeliveryBacklogCollector(Collector):
    """Pending and dead deliveries, read from the database at scrape time (so every process
    reports the same numbers)."""

    def collect(self) -> Iterator[Metric]:
        backlog = delivery_backlog()
        gauge = GaugeMetricFamily(
            "conduit_event_deliveries", "Background deliveries by state.", labels=["state"]
        )
        for state in ("pending", "running", "dead"):
            gauge.add_metric([state], backlog[state])
        yield gauge


def exposition() -> bytes:
    """The scrape body, this process's buffered samples included; under gunicorn with
    PROMETHEUS_MULTIPROC_DIR, all workers' samples."""
    metrics.flush()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    backlog = CollectorRegistry()
    backlog.register(DeliveryBacklogCollector())
    return generate_latest(registry) + generate_latest(backlog)
