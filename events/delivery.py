"""Durable delivery: the audit-trail insert, the delivery tasks, and the task that runs a handler.

A delivery is a `django.tasks` task (`deliver_event`) on the `django_tasks_db` backend, one row
per (event, background handler), inserted in the publisher's transaction. The worker
(`manage.py db_worker`, see events/worker.py) adds retries with backoff, dead-lettering and leases.
"""

import inspect
import logging
from collections.abc import Iterable
from time import perf_counter
from traceback import format_exception
from uuid import UUID

from asgiref.sync import async_to_sync
from django.db import models, transaction
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult, get_date_max

from events import metrics
from events.base import Event, from_payload
from events.context import current_context, event_context
from events.models import DeliveryReceipt, EventRecord

logger = logging.getLogger(__name__)


@task()
def deliver_event(event_id: str, handler: str) -> str:
    """Run one background handler on one recorded event, at most once per (event, handler)."""
    handler_fn = import_string(handler)
    with transaction.atomic():
        if DeliveryReceipt.objects.filter(event_id=event_id, handler=handler).exists():
            return "already handled"
        record = EventRecord.objects.get(pk=event_id)
        event = event_from_record(record)
        start = perf_counter()
        try:
            with event_context(
                actor_id=record.actor_id,
                request_id=record.request_id,
                causation_id=record.event_id,
            ):
                if inspect.iscoroutinefunction(handler_fn):
                    async_to_sync(handler_fn)(event)
                else:
                    handler_fn(event)
        except Exception:
            metrics.record_handler_run(handler, "background", False, perf_counter() - start)
            raise
        metrics.record_handler_run(handler, "background", True, perf_counter() - start)
        # The unique (event, handler) constraint makes a concurrent twin roll back here.
        DeliveryReceipt.objects.create(event_id=event_id, handler=handler)
    return "handled"


DELIVER_TASK_PATH = deliver_event.module_path


def event_from_record(record: EventRecord) -> Event:
    return from_payload(
        record.type,
        record.version,
        record.payload,
        event_id=record.event_id,
        occurred_at=record.occurred_at,
    )


def record_event(event: Event) -> EventRecord:
    """Append the event to the audit trail, stamped with who and what caused it."""
    context = current_context()
    return EventRecord.objects.create(
        event_id=event.event_id,
        type=event.type_name,
        version=event.version,
        payload=event.to_payload(),
        occurred_at=event.occurred_at,
        actor_id=context.actor_id,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        request_id=context.request_id,
        causation_id=context.causation_id,
    )


def _delivery_row(event_id: UUID, handler: str, **fields: object) -> DBTaskResult:
    return DBTaskResult(
        args_kwargs={"args": [str(event_id), handler], "kwargs": {}},
        priority=deliver_event.priority,
        task_path=DELIVER_TASK_PATH,
        queue_name=deliver_event.queue_name,
        backend_name=deliver_event.backend,
        run_after=get_date_max(),
        **fields,
    )


def enqueue_deliveries(event: Event, handlers: Iterable[str]) -> list[UUID]:
    """One delivery task per handler, in a single INSERT."""
    rows = [_delivery_row(event.event_id, handler) for handler in handlers]
    if not rows:
        return []
    DBTaskResult.objects.bulk_create(rows)
    return [row.id for row in rows]


def record_failed_delivery(event: Event, handler: str, exc: BaseException) -> DBTaskResult:
    """An inline handler failed after commit: keep a failed delivery that `events_retry`
    can hand to the worker."""
    metrics.DELIVERIES_DEAD.inc()
    row = _delivery_row(
        event.event_id,
        handler,
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        **describe_failure(exc),
    )
    row.save(force_insert=True)
    return row


def describe_failure(exc: BaseException) -> dict[str, str]:
    return {
        "exception_class_path": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "traceback": "".join(format_exception(exc)),
    }


def deliveries() -> models.QuerySet[DBTaskResult]:
    """Every delivery task, whatever its state."""
    return DBTaskResult.objects.filter(task_path=DELIVER_TASK_PATH)


def delivery_backlog() -> dict[str, int]:
    """Deliveries waiting (pending), being run (running) and given up on (dead)."""
    counts = dict(
        deliveries()
        .filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING, TaskResultStatus.FAILED]
        )
        .values_list("status")
        .annotate(count=models.Count("id"))
        .order_by()
    )
    return {
        "pending": counts.get(TaskResultStatus.READY, 0),
        "running": counts.get(TaskResultStatus.RUNNING, 0),
        "dead": counts.get(TaskResultStatus.FAILED, 0),
    }


def run_now(delivery_ids: list[UUID]) -> None:
    """Run freshly committed deliveries in this process (EVENTS_DELIVER_ON_COMMIT)."""
    from events.worker import run_deliveries

    run_deliveries(delivery_ids)
