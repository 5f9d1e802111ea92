"""The outbox: what a publish writes in the publisher's transaction, and the task that
delivers it.

- the audit trail: one EventRecord per event (`record_event`; a unit of work's events all in
  one INSERT, `record_events`), read back by `event_from_record`; an event class that is no
  business change (`Event.audited` False: a page view) writes none;
- the deliveries: one `django.tasks` task row (`deliver_event`, on the `django_tasks_db`
  backend) per (event, background handler), inserted in one statement (a unit of work's, of
  all its events, too);
- the receipts: `deliver_event` runs a handler and writes its DeliveryReceipt in one
  transaction, so a redelivered event has no second effect.

The worker (events/worker.py) claims the rows, retries, dead-letters and leases them.
`DatabaseOutbox` is this module as the bus sees it (events.core.bus.Outbox).
"""

import inspect
import logging
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import cache
from time import perf_counter
from traceback import format_exception
from uuid import UUID, uuid4

from asgiref.sync import async_to_sync
from django.db import models, transaction
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult, get_date_max

from conduit.inserts import insert_records, insert_rows, insert_values
from events.core import metrics
from events.core.context import EventContext, Origin, batch_origins, current_context, event_context
from events.core.event import Event, EventRegistryError, event_type, from_payload
from events.core.unit_of_work import PendingEvent
from events.core.wiring import takes_batches
from events.models import DeliveryReceipt, EventRecord

logger = logging.getLogger(__name__)
delivery_logger = logging.getLogger("events.delivery")


# The audit trail -----------------------------------------------------------------------------


def record_event(event: Event) -> EventRecord:
    """Append the event to the audit trail, stamped with who and what caused it."""
    record = _record(event, current_context())
    record.save(force_insert=True)
    return record


def record_events(pending: Sequence[PendingEvent]) -> list[UUID]:
    """Append a unit of work's events to the audit trail, each stamped with the context it was
    published in, and enqueue all their deliveries: one statement on PostgreSQL, one per table
    elsewhere (conduit.inserts.insert_records); returns the deliveries' ids."""
    enqueued_at = timezone.now()
    rows = [
        _delivery_values(item.event.event_id, handler, enqueued_at)
        for item in pending
        for handler in item.background
    ]
    records = [_record_values(item.event, item.context) for item in pending]
    insert_records((EventRecord, records), (DBTaskResult, rows))
    _run_recorders([item.event for item in pending])
    return [row["id"] for row in rows]


def _record(event: Event, context: EventContext) -> EventRecord:
    return EventRecord(**_record_values(event, context))


def _record_values(event: Event, context: EventContext) -> dict[str, object]:
    """The audit record's `insert_values` (every value already its column's type), without
    the model instance a commit's records need not be."""
    return {
        "event_id": event.event_id,
        "type": event.type_name,
        "version": event.version,
        "payload": event.to_payload(),
        "occurred_at": event.occurred_at,
        "actor_id": context.actor_id,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "request_id": context.request_id,
        "causation_id": context.causation_id,
    }


def event_from_record(record: EventRecord) -> Event:
    return from_payload(
        record.type,
        record.version,
        record.payload,
        event_id=record.event_id,
        occurred_at=record.occurred_at,
    )


# Recorders: other rows that must exist if and only if the events commit ----------------------

Recorder = Callable[[Sequence[Event]], None]
_recorders: list[Recorder] = []


def add_recorder(recorder: Recorder) -> None:
    """Call `recorder` with the audited events the outbox has just recorded, inside their
    transaction (the webhooks app writes its deliveries so); registering twice is harmless."""
    if recorder not in _recorders:
        _recorders.append(recorder)


def _run_recorders(events: Sequence[Event]) -> None:
    for recorder in _recorders:
        recorder(events)


# The deliver task and its receipts ----------------------------------------------------------


class NotThisWorkersEvent(Exception):
    """The event or its handler is newer than this worker's code (a rolling deploy: an
    event version, a type or a handler it does not know). Not a failure: the delivery is
    left for a worker that knows it, and never counts as an attempt."""


def deliver(
    event_id: str,
    handler: str,
    *,
    record: EventRecord | None = None,
    check_receipt: bool = True,
) -> str:
    """Run one background handler on one recorded event and write its receipt, in one
    transaction: at most once per (event, handler). The worker's batches pass the record
    and the receipt check they read for the whole batch.

    It writes one log line per run (logger `events.delivery`), in the event's context, so the
    line carries the request id of the request that published the event."""
    handler_fn = _handler_function(handler)
    with transaction.atomic():
        if (
            check_receipt
            and DeliveryReceipt.objects.filter(event_id=event_id, handler=handler).exists()
        ):
            return "already handled"
        if record is None:
            record = EventRecord.objects.get(pk=event_id)
        if takes_batches(handler_fn):
            return deliver_many(handler, [record])
        event = _event_or_defer(record)
        start = perf_counter()
        with event_context(
            actor_id=record.actor_id,
            request_id=record.request_id,
            causation_id=record.event_id,
        ):
            try:
                if inspect.iscoroutinefunction(handler_fn):
                    async_to_sync(handler_fn)(event)
                else:
                    handler_fn(event)
            except Exception:
                seconds = perf_counter() - start
                metrics.record_handler_run(handler, "background", False, seconds)
                _log_delivery(record, handler, "error", seconds, exc_info=True)
                raise
            seconds = perf_counter() - start
            metrics.record_handler_run(handler, "background", True, seconds)
            _log_delivery(record, handler, "ok", seconds)
        # The unique (event, handler) constraint makes a concurrent twin roll back here.
        DeliveryReceipt.objects.create(event_id=event_id, handler=handler)
    return "handled"


def deliver_many(handler: str, records: Sequence[EventRecord]) -> str:
    """Run a batch handler (events.core.wiring.handles_batches) once on these recorded events,
    in the order given, and write their receipts, in one transaction: all of them handled, or
    none (the unique (event, handler) receipt makes a batch that overlaps a concurrent twin
    roll back whole). The caller has checked that none was handled before.

    One log line and one handler-run sample per event, each with its share of the batch's
    time (a batch of n counts n runs). A batch of several that fails leaves the counting and
    the logging to the runs one event at a time that follow it (events/worker.py)."""
    handler_fn = _handler_function(handler)
    events = [_event_or_defer(record) for record in records]
    origins = {record.event_id: Origin(record.actor_id, record.request_id) for record in records}
    with transaction.atomic():
        start = perf_counter()
        try:
            with batch_origins(origins):
                handler_fn(events)
        except Exception:
            # A batch that fails is run again one event at a time (the worker), and those
            # runs are the ones counted and logged; an event alone is that run.
            if len(records) == 1:
                seconds = perf_counter() - start
                metrics.record_handler_run(handler, "background", False, seconds)
                _log_batch(records, handler, "error", seconds, exc_info=True)
            raise
        seconds = perf_counter() - start
        for _ in records:
            metrics.record_handler_run(handler, "background", True, seconds / len(records))
        _log_batch(records, handler, "ok", seconds)
        DeliveryReceipt.objects.bulk_create(
            [DeliveryReceipt(event_id=record.event_id, handler=handler) for record in records]
        )
    return "handled"


def handles_batches(handler: str) -> bool:
    """Whether the handler at this path takes a batch of events (False when this worker does
    not know it: its deliveries then run, and are deferred, one at a time)."""
    try:
        return takes_batches(import_string(handler))
    except ImportError:
        return False


def _handler_function(handler: str) -> Callable:
    try:
        return import_string(handler)
    except ImportError as exc:
        raise NotThisWorkersEvent(f"unknown handler {handler}") from exc


def _log_batch(
    records: Sequence[EventRecord],
    handler: str,
    outcome: str,
    seconds: float,
    *,
    exc_info: bool = False,
) -> None:
    if not delivery_logger.isEnabledFor(logging.ERROR if outcome == "error" else logging.INFO):
        return
    share = seconds / len(records)
    for position, record in enumerate(records):
        with event_context(
            actor_id=record.actor_id,
            request_id=record.request_id,
            causation_id=record.event_id,
        ):
            # The traceback once, on the first line.
            _log_delivery(record, handler, outcome, share, exc_info=exc_info and position == 0)


# Which try of its delivery the worker is running (for the delivery's log line).
delivery_attempt: ContextVar[int] = ContextVar("conduit_delivery_attempt", default=1)


def _log_delivery(
    record: EventRecord, handler: str, outcome: str, seconds: float, *, exc_info: bool = False
) -> None:
    delivery_logger.log(
        logging.ERROR if outcome == "error" else logging.INFO,
        "%s %s: %s",
        record.type,
        handler,
        outcome,
        exc_info=exc_info,
        extra={
            "event_id": str(record.event_id),
            "event_type": record.type,
            "handler": handler,
            "outcome": outcome,
            "attempt": delivery_attempt.get(),
            "duration_ms": round(seconds * 1000, 2),
        },
    )


@task()
def deliver_event(event_id: str, handler: str) -> str:
    """Run one background handler on one recorded event, at most once per (event, handler)."""
    return deliver(event_id, handler)


def _event_or_defer(record: EventRecord) -> Event:
    """The event, or NotThisWorkersEvent when it was written by newer code than this."""
    try:
        known = event_type(record.type)
    except EventRegistryError:
        known = None
    if known is None or record.version > known.version:
        raise NotThisWorkersEvent(f"{record.type} v{record.version} is newer than this worker")
    return event_from_record(record)


# Stored in every delivery row (migration 0003 moved the rows written before this module).
DELIVER_TASK_PATH = deliver_event.module_path


# The delivery rows ---------------------------------------------------------------------------


def _delivery_row(event_id: UUID, handler: str, **fields: object) -> DBTaskResult:
    defaults = {"priority": deliver_event.priority, "run_after": get_date_max()}
    return DBTaskResult(
        args_kwargs={"args": [str(event_id), handler], "kwargs": {}},
        task_path=DELIVER_TASK_PATH,
        queue_name=deliver_event.queue_name,
        backend_name=deliver_event.backend,
        **(defaults | fields),
    )


def _delivery_values(event_id: UUID, handler: str, enqueued_at: datetime) -> dict[str, object]:
    """A new delivery's `insert_values`: those of a row made once, with its own id, event,
    handler and time (a commit's deliveries cost a model instance each: 0.3 ms of a new
    article's 4.3)."""
    return _delivery_template() | {
        "id": uuid4(),
        "args_kwargs": {"args": [str(event_id), handler], "kwargs": {}},
        "enqueued_at": enqueued_at,
    }


@cache
def _delivery_template() -> dict[str, object]:
    return insert_values(_delivery_row(UUID(int=0), ""))


def enqueue_deliveries(event: Event, handlers: Iterable[str]) -> list[UUID]:
    """One delivery task per handler, in a single INSERT."""
    rows = [_delivery_row(event.event_id, handler) for handler in handlers]
    insert_rows(rows)
    return [row.id for row in rows]


# A commit that queued deliveries wakes idle workers (PostgreSQL: a trigger on the table,
# migration events 0006, sends NOTIFY on this channel; the worker LISTENs).
NOTIFY_CHANNEL = "conduit_deliveries"

# Below every live delivery: a replay never holds up what is happening now.
REPLAY_PRIORITY = -10


def enqueue_replays(event_ids: Sequence[UUID], handler: str, *, first_at: datetime) -> int:
    """Deliveries of stored events to one handler (`events_replay`), in one INSERT. The
    worker claims them after every live delivery and in the order given: their run_after
    times rise from `first_at` by a microsecond each."""
    rows = [
        _delivery_row(
            event_id,
            handler,
            priority=REPLAY_PRIORITY,
            run_after=first_at + timedelta(microseconds=position),
        )
        for position, event_id in enumerate(event_ids)
    ]
    DBTaskResult.objects.bulk_create(rows)
    return len(rows)


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


def backlog_age_seconds() -> int:
    """How long the oldest delivery that is due has waited (0: none waits): the backlog's
    age, in whole seconds. Retries not yet due do not count."""
    oldest = (
        deliveries()
        .filter(status=TaskResultStatus.READY)
        .filter(models.Q(run_after=get_date_max()) | models.Q(run_after__lte=timezone.now()))
        .aggregate(oldest=models.Min("enqueued_at"))["oldest"]
    )
    if oldest is None:
        return 0
    return max(0, int((timezone.now() - oldest).total_seconds()))


# The bus's view of it ------------------------------------------------------------------------


class UnauditedEventError(RuntimeError):
    pass


class DatabaseOutbox:
    """The outbox the bus publishes into (events.core.bus.Outbox). `deliver_now` runs
    freshly committed deliveries in this process (the worker's run_deliveries, handed in by
    events/bootstrap.py, so that the outbox stays below the worker)."""

    def __init__(self, *, deliver_now: Callable[[list[UUID]], None]) -> None:
        self._deliver_now = deliver_now

    def record(self, event: Event, handlers: tuple[str, ...]) -> list[UUID]:
        if not event.audited:
            # Not a business change (Event.audited): nothing to write, and so nothing a
            # background handler could be rebuilt from (events.E004 catches the wiring).
            if handlers:
                raise UnauditedEventError(
                    f"{event.type_name} stays out of the audit trail, so it cannot be "
                    f"delivered to background handlers: {', '.join(handlers)}."
                )
            return []
        record_event(event)
        ids = enqueue_deliveries(event, handlers)
        _run_recorders([event])
        return ids

    def record_many(self, pending: Sequence[PendingEvent]) -> list[UUID]:
        # A unit of work collects audited events only (events/core/unit_of_work.py).
        return record_events(pending)

    def deliver_now(self, delivery_ids: list[UUID]) -> None:
        self._deliver_now(delivery_ids)

    def handler_failed(self, event: Event, handler: str, exc: Exception) -> None:
        record_failed_delivery(event, handler, exc)
