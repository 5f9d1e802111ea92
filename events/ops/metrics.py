"""The Prometheus exposition of the event system (GET /metrics, events/api/views.py): the
instruments of events/core/metrics.py and the delivery backlog, read from the database."""

import os
from collections.abc import Iterator

from django.db.models import Count
from django.db.models.fields.json import KT
from django.tasks import TaskResultStatus
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from events.core import metrics
from events.outbox import backlog_age_seconds, deliveries, delivery_backlog

_STATES = {
    TaskResultStatus.READY: "pending",
    TaskResultStatus.RUNNING: "running",
    TaskResultStatus.FAILED: "dead",
}


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
        yield GaugeMetricFamily(
            "conduit_event_backlog_age_seconds",
            "How long the oldest due delivery has waited (0: nothing waits).",
            value=backlog_age_seconds(),
        )
        per_handler = GaugeMetricFamily(
            "conduit_event_handler_deliveries",
            "Background deliveries by handler and state (a pending one that has failed is "
            "waiting for its retry; a dead one for an operator).",
            labels=["handler", "state"],
        )
        for (handler, state), count in sorted(delivery_backlog_by_handler().items()):
            per_handler.add_metric([handler, state], count)
        yield per_handler


def delivery_backlog_by_handler() -> dict[tuple[str, str], int]:
    """(handler, "pending" | "running" | "dead") -> deliveries, those not finished only."""
    rows = (
        deliveries()
        .filter(status__in=list(_STATES))
        .annotate(handler=KT("args_kwargs__args__1"))  # deliver_event(event_id, handler)
        .values_list("handler", "status")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {(handler, _STATES[status]): count for handler, status, count in rows}


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
