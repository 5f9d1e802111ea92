"""Operator actions on deliveries (`events_retry` and the admin): find the failed ones, hand
them back to the worker."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from events.core.operations import bulk_operation
from events.core.unit_of_work import unit_of_work
from events.models import EventRecord
from events.outbox import deliveries


def failed_deliveries(
    *,
    handler: str | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
) -> list[DBTaskResult]:
    """Dead deliveries (retries exhausted) and failed inline runs, optionally filtered."""
    queryset: QuerySet[DBTaskResult] = deliveries().filter(status=TaskResultStatus.FAILED)
    if since is not None:
        queryset = queryset.filter(finished_at__gte=since)
    rows = list(queryset.order_by("finished_at"))
    if handler:
        rows = [row for row in rows if handler in row.args_kwargs["args"][1]]
    if event_type:
        event_ids = [row.args_kwargs["args"][0] for row in rows]
        types = dict(EventRecord.objects.filter(pk__in=event_ids).values_list("event_id", "type"))
        rows = [row for row in rows if types.get(UUID(row.args_kwargs["args"][0])) == event_type]
    return rows


def deliveries_retry(rows: Iterable[DBTaskResult]) -> int:
    """Hand failed deliveries back to the worker with a fresh budget of attempts, as one bulk
    operation (those no longer failed are skipped); returns how many."""
    ids = [row.pk for row in rows]
    with unit_of_work(), bulk_operation("deliveries.retry") as operation:
        retried = DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY,
            run_after=get_date_max(),
            worker_ids=[],
            started_at=None,
            finished_at=None,
        )
        operation.done(retried)
        operation.skip(len(ids) - retried)
    return retried
