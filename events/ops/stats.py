"""What the event system has done: events published, background handler outcomes, backlog."""

from collections import defaultdict
from typing import Any

from django.db.models import Count
from django.tasks import TaskResultStatus

from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliveries, delivery_backlog

_HANDLER_OUTCOMES = ("handled", "pending", "retrying", "running", "dead")


def event_stats() -> dict[str, Any]:
    published = dict(
        EventRecord.objects.values_list("type").annotate(count=Count("event_id")).order_by("type")
    )
    handlers: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_HANDLER_OUTCOMES, 0))
    for handler, count in (
        DeliveryReceipt.objects.values_list("handler").annotate(count=Count("id")).order_by()
    ):
        handlers[handler]["handled"] = count
    unfinished = deliveries().exclude(status=TaskResultStatus.SUCCESSFUL)
    for args_kwargs, status, error in unfinished.values_list(
        "args_kwargs", "status", "exception_class_path"
    ).iterator():
        outcome = {
            TaskResultStatus.READY: "retrying" if error else "pending",
            TaskResultStatus.RUNNING: "running",
            TaskResultStatus.FAILED: "dead",
        }[status]
        handlers[args_kwargs["args"][1]][outcome] += 1
    return {
        "published": published,
        "handlers": dict(sorted(handlers.items())),
        "deliveries": delivery_backlog(),
    }
