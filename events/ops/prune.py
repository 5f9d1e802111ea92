"""Pruning (`events_prune`): finished task rows older than a cutoff are deleted, a small
batch per transaction, so no lock is held for long on a live site.

What goes: successful deliveries and the results of other finished tasks; with
`include_failed`, dead deliveries and failed tasks too (by default they wait for
`events_retry`). What never goes: the audit trail (EventRecord, append-only) and the
receipts (DeliveryReceipt), which keep a replayed or redelivered event from being handled
twice.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events.core.operations import bulk_operation
from events.outbox import DELIVER_TASK_PATH

DEFAULT_BATCH_SIZE = 500

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class PruneCounts:
    cutoff: datetime
    deliveries: int
    task_results: int

    @property
    def total(self) -> int:
        return self.deliveries + self.task_results

    def as_dict(self) -> dict[str, object]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "deliveries": self.deliveries,
            "task_results": self.task_results,
        }


def prune_cutoff(*, older_than_days: int) -> datetime:
    return timezone.now() - timedelta(days=older_than_days)


def prunable(*, cutoff: datetime, include_failed: bool = False) -> QuerySet[DBTaskResult]:
    """Task rows finished before `cutoff`: successful ones, and failed ones if asked."""
    statuses = [TaskResultStatus.SUCCESSFUL]
    if include_failed:
        statuses.append(TaskResultStatus.FAILED)
    return DBTaskResult.objects.filter(status__in=statuses, finished_at__lt=cutoff)


def prune_counts(*, cutoff: datetime, include_failed: bool = False) -> PruneCounts:
    rows = prunable(cutoff=cutoff, include_failed=include_failed)
    deliveries = rows.filter(task_path=DELIVER_TASK_PATH).count()
    return PruneCounts(cutoff, deliveries, rows.count() - deliveries)


def prune(
    *,
    cutoff: datetime,
    include_failed: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> PruneCounts:
    """Delete the prunable rows, `batch_size` per transaction; returns what went."""
    rows = prunable(cutoff=cutoff, include_failed=include_failed).order_by()
    deliveries = task_results = 0
    with bulk_operation("events.prune") as operation:
        while True:
            with transaction.atomic():
                batch = list(rows.values_list("pk", "task_path")[:batch_size])
                if not batch:
                    break
                # The DELETE filters again, so a row retried meanwhile stays.
                ids = [pk for pk, task_path in batch if task_path == DELIVER_TASK_PATH]
                others = [pk for pk, task_path in batch if task_path != DELIVER_TASK_PATH]
                gone_deliveries = rows.filter(pk__in=ids).delete()[0] if ids else 0
                gone_others = rows.filter(pk__in=others).delete()[0] if others else 0
            deliveries += gone_deliveries
            task_results += gone_others
            operation.done(gone_deliveries + gone_others)
            if progress is not None:
                progress(deliveries + task_results)
        operation.note(f"{deliveries} deliveries, {task_results} task results")
    return PruneCounts(cutoff, deliveries, task_results)
