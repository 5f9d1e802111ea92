"""What the event system has done: events published, background handler outcomes, backlog."""

from collections import defaultdict
from typing import Any

from django.db.models import Case, Count, When
from django.db.models.fields.json import KT
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
    # Counted in SQL, grouped by handler, state and whether it has failed before: one row
    # per group however long the queue (a Python loop over 100,000 rows took seconds).
    unfinished = (
        deliveries()
        .exclude(status=TaskResultStatus.SUCCESSFUL)
        .annotate(
            handler=KT("args_kwargs__args__1"),  # deliver_event(event_id, handler)
            failed=Case(When(exception_class_path="", then=False), default=True),
        )
        .values_list("handler", "status", "failed")
        .annotate(count=Count("id"))
        .order_by()
    )
    for handler, status, failed, count in unfinished:
        outcome = {
            TaskResultStatus.READY: "retrying" if failed else "pending",
            TaskResultStatus.RUNNING: "running",
            TaskResultStatus.FAILED: "dead",
        }[status]
        handlers[handler][outcome] += count
    return {
        "published": published,
        "handlers": dict(sorted(handlers.items())),
        "deliveries": delivery_backlog(),
    }
