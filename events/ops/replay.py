"""Replay: deliver stored events again, in the order they happened, to one handler, through
the worker (`events_replay`). It is how a receiver added later is backfilled.

It is idempotent twice over: an event the handler has a receipt for is not queued again, nor
one already waiting for it; and should both runs race, the worker's receipt check still
runs the handler once per event (events/outbox.py, deliver_event). Replayed deliveries come
after every live one (events.outbox.REPLAY_PRIORITY).
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone

from events.core import bus as event_bus
from events.core.event import event_types
from events.core.operations import bulk_operation
from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliveries, enqueue_replays

BATCH_SIZE = 1000

Progress = Callable[[int], None]


@dataclass(slots=True)
class ReplayPlan:
    """What a replay finds: the events that match, and what becomes of each."""

    handler: str
    event_types: tuple[str, ...]
    matched: int = 0
    handled: int = 0  # the handler has a receipt: nothing to do
    waiting: int = 0  # a delivery to the handler is pending or running already
    dead: int = 0  # a dead delivery to the handler exists: `events_retry` is the way
    to_queue: list[UUID] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "handler": self.handler,
            "event_types": list(self.event_types),
            "matched": self.matched,
            "handled": self.handled,
            "waiting": self.waiting,
            "dead": self.dead,
            "to_queue": len(self.to_queue),
        }


def subscribed_event_types(handler: str) -> tuple[str, ...]:
    """The event types `handler` receives (inline or background, subclasses included)."""
    shared = event_bus.shared_event_bus
    return tuple(
        type_name
        for type_name, cls in sorted(event_types().items())
        if any(handler in paths for paths in shared.subscribers(cls).values())
    )


def replay_plan(
    *,
    handler: str,
    types: Sequence[str],
    since: datetime | None = None,
    until: datetime | None = None,
) -> ReplayPlan:
    """The stored events of `types` that happened in [since, until), in order, and which of
    them the handler still needs."""
    plan = ReplayPlan(handler=handler, event_types=tuple(types))
    unfinished = _unfinished_deliveries(handler)
    for batch in _event_ids(types=types, since=since, until=until):
        handled = set(
            DeliveryReceipt.objects.filter(event_id__in=batch, handler=handler).values_list(
                "event_id", flat=True
            )
        )
        for event_id in batch:
            plan.matched += 1
            status = unfinished.get(event_id)
            if event_id in handled:
                plan.handled += 1
            elif status == TaskResultStatus.FAILED:
                plan.dead += 1
            elif status is not None:
                plan.waiting += 1
            else:
                plan.to_queue.append(event_id)
    return plan


def replay_enqueue(plan: ReplayPlan, *, progress: Progress | None = None) -> int:
    """Queue the plan's deliveries, in order, a batch per transaction; returns how many."""
    first_at = timezone.now()
    queued = 0
    with bulk_operation("events.replay") as operation:
        for start in range(0, len(plan.to_queue), BATCH_SIZE):
            batch = plan.to_queue[start : start + BATCH_SIZE]
            with transaction.atomic():
                # Each batch's times follow the previous batch's (enqueue_replays counts from 0).
                batch_first_at = first_at + timedelta(microseconds=start)
                queued += enqueue_replays(batch, plan.handler, first_at=batch_first_at)
            operation.done(len(batch))
            if progress is not None:
                progress(queued)
        operation.skip(plan.handled + plan.waiting + plan.dead)
        operation.note(
            f"{queued} events queued for {plan.handler}; {plan.handled} already handled, "
            f"{plan.waiting} already waiting, {plan.dead} dead"
        )
    return queued


def _event_ids(
    *, types: Sequence[str], since: datetime | None, until: datetime | None
) -> Iterator[list[UUID]]:
    records = EventRecord.objects.filter(type__in=types)
    if since is not None:
        records = records.filter(occurred_at__gte=since)
    if until is not None:
        records = records.filter(occurred_at__lt=until)
    ids = records.order_by("occurred_at", "event_id").values_list("event_id", flat=True)
    batch: list[UUID] = []
    for event_id in ids.iterator(chunk_size=BATCH_SIZE):
        batch.append(event_id)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _unfinished_deliveries(handler: str) -> dict[UUID, str]:
    """The handler's deliveries that are not done: event id -> status."""
    rows = deliveries().exclude(status=TaskResultStatus.SUCCESSFUL)
    return {
        UUID(args_kwargs["args"][0]): status
        for args_kwargs, status in rows.values_list("args_kwargs", "status").iterator()
        if args_kwargs["args"][1] == handler
    }
