"""Orphaned data: rows that no longer belong to anything. Each kind says how to find its rows
and how to fix them; `find_orphans` (maintenance/) runs every kind, the event system's below
and the apps' own, reports each kind found as OrphanedDataDetected and, when asked, fixes
them as one bulk operation.

The event system's kinds:

- pending or dead deliveries whose event is not in the audit trail (it cannot be rebuilt,
  so they can only fail);
- receipts whose event is not in the audit trail;
- deliveries, pending or dead, to a handler the code no longer has;
- expired leases: deliveries left RUNNING by a worker that died, which no worker is running
  to sweep (the worker requeues them itself while it runs).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from events import bus
from events.core.operations import bulk_operation
from events.models import DeliveryReceipt, EventRecord
from events.ops.events import OrphanedDataDetected
from events.outbox import deliveries
from events.worker import requeue_expired_leases

SAMPLE_SIZE = 10


@dataclass(frozen=True, slots=True)
class OrphanKind:
    """A kind of orphaned row: `find` returns the ids of the rows (as text), `fix` fixes the
    rows with those ids (through the services that own them) and returns how many."""

    name: str
    description: str
    find: Callable[[], list[str]]
    fix: Callable[[Sequence[str]], int]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: OrphanKind
    ids: list[str]

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.name,
            "description": self.kind.description,
            "count": len(self.ids),
            "sample_ids": self.ids[:SAMPLE_SIZE],
        }


def orphans_find(kinds: Iterable[OrphanKind]) -> list[Finding]:
    """What each kind finds (kinds with nothing found included, with no ids)."""
    return [Finding(kind, kind.find()) for kind in kinds]


def orphans_report(findings: Iterable[Finding]) -> int:
    """Publish one OrphanedDataDetected per kind found; returns how many were published."""
    published = 0
    for finding in findings:
        if finding.ids:
            bus.publish(
                OrphanedDataDetected(
                    kind=finding.kind.name,
                    count=len(finding.ids),
                    sample_ids=tuple(finding.ids[:SAMPLE_SIZE]),
                )
            )
            published += 1
    return published


def orphans_fix(findings: Iterable[Finding]) -> dict[str, int]:
    """Fix what was found, kind by kind, as one bulk operation; returns how many per kind."""
    fixed = {}
    with bulk_operation("orphans.fix") as operation:
        for finding in findings:
            if not finding.ids:
                continue
            fixed[finding.kind.name] = count = finding.kind.fix(finding.ids)
            operation.done(count)
            operation.skip(len(finding.ids) - count)
            operation.note(f"{finding.kind.name}: {count}")
    return fixed


# The event system's kinds ---------------------------------------------------------------------


def _missing_events(event_ids: set[UUID]) -> set[UUID]:
    found: set[UUID] = set()
    ids = list(event_ids)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        found.update(EventRecord.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return event_ids - found


def _not_running() -> QuerySet[DBTaskResult]:
    return deliveries().exclude(status=TaskResultStatus.RUNNING)


def _unfinished() -> list[tuple[UUID, str, str]]:
    """(delivery id, event id, handler) of the pending and dead deliveries."""
    rows = deliveries().filter(status__in=[TaskResultStatus.READY, TaskResultStatus.FAILED])
    return [
        (pk, args_kwargs["args"][0], args_kwargs["args"][1])
        for pk, args_kwargs in rows.values_list("pk", "args_kwargs").iterator()
    ]


def find_deliveries_without_event() -> list[str]:
    rows = _unfinished()
    missing = _missing_events({UUID(event_id) for _, event_id, _ in rows})
    return sorted(str(pk) for pk, event_id, _ in rows if UUID(event_id) in missing)


def find_receipts_without_event() -> list[str]:
    receipts = DeliveryReceipt.objects.exclude(event_id__in=EventRecord.objects.values("pk"))
    return [str(pk) for pk in receipts.order_by("pk").values_list("pk", flat=True)]


def find_deliveries_to_missing_handlers() -> list[str]:
    rows = _unfinished()
    missing = {handler for _, _, handler in rows if not _importable(handler)}
    return sorted(str(pk) for pk, _, handler in rows if handler in missing)


def find_expired_leases() -> list[str]:
    expired_before = timezone.now() - timedelta(seconds=settings.EVENTS_LEASE_SECONDS)
    rows = deliveries().filter(status=TaskResultStatus.RUNNING, started_at__lt=expired_before)
    return sorted(str(pk) for pk in rows.values_list("pk", flat=True))


@transaction.atomic
def delete_deliveries(ids: Sequence[str]) -> int:
    """Delete these deliveries unless a worker is running one of them meanwhile."""
    return _not_running().filter(pk__in=list(ids)).delete()[0]


@transaction.atomic
def delete_receipts(ids: Sequence[str]) -> int:
    receipts = DeliveryReceipt.objects.filter(pk__in=[int(pk) for pk in ids])
    return receipts.exclude(event_id__in=EventRecord.objects.values("pk")).delete()[0]


def requeue_leases(ids: Sequence[str]) -> int:
    """Hand them back to the worker, as its own lease sweep would."""
    return requeue_expired_leases()


def _importable(path: str) -> bool:
    try:
        import_string(path)
    except ImportError:
        return False
    return True


EVENT_SYSTEM_ORPHANS: tuple[OrphanKind, ...] = (
    OrphanKind(
        "deliveries_without_event",
        "pending or dead deliveries whose event is not in the audit trail",
        find_deliveries_without_event,
        delete_deliveries,
    ),
    OrphanKind(
        "receipts_without_event",
        "delivery receipts whose event is not in the audit trail",
        find_receipts_without_event,
        delete_receipts,
    ),
    OrphanKind(
        "deliveries_to_missing_handlers",
        "pending or dead deliveries to a handler the code no longer has",
        find_deliveries_to_missing_handlers,
        delete_deliveries,
    ),
    OrphanKind(
        "expired_leases",
        "deliveries left running by a worker that died (requeued as the worker would)",
        find_expired_leases,
        requeue_leases,
    ),
)
