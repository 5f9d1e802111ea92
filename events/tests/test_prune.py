"""`events_prune`: finished deliveries and task results older than the cutoff go, in small
batches; the audit trail, the receipts and anything unfinished stay."""

import json
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events import bus
from events.models import DeliveryReceipt, EventRecord
from events.ops.events import BulkOperationCompleted
from events.outbox import enqueue_deliveries
from events.tests.support import SampleHappened

pytestmark = pytest.mark.django_db

HANDLER = "events.tests.support.remember"


@pytest.fixture
def rows(fresh_bus):
    """Deliveries and another task's results in every state, old and recent."""
    event = SampleHappened(sample_id=1)
    bus.publish(event)
    DeliveryReceipt.objects.create(event_id=event.event_id, handler=HANDLER)
    ids = enqueue_deliveries(event, [HANDLER] * 6)
    old, recent = timezone.now() - timedelta(days=40), timezone.now() - timedelta(days=1)
    states = {
        "old_done": (TaskResultStatus.SUCCESSFUL, old),
        "old_done_too": (TaskResultStatus.SUCCESSFUL, old),
        "recent_done": (TaskResultStatus.SUCCESSFUL, recent),
        "old_dead": (TaskResultStatus.FAILED, old),
        "pending": (TaskResultStatus.READY, None),
        "running": (TaskResultStatus.RUNNING, None),
    }
    named = {}
    for (name, (status, finished_at)), pk in zip(states.items(), ids, strict=True):
        DBTaskResult.objects.filter(pk=pk).update(status=status, finished_at=finished_at)
        named[name] = pk
    other = DBTaskResult.objects.get(pk=ids[0])
    other.pk, other.task_path = None, "emails.tasks.send"
    other.save(force_insert=True)
    named["old_task_result"] = other.pk
    return SimpleNamespace(**named)


def prune(*args: str) -> str:
    out = StringIO()
    call_command("events_prune", *args, stdout=out)
    return out.getvalue()


def left() -> set:
    return set(DBTaskResult.objects.values_list("pk", flat=True))


def test_finished_rows_past_the_cutoff_go_in_batches_and_nothing_else(
    rows, mock_event_bus, operation_clock
):
    trail, receipts = EventRecord.objects.count(), DeliveryReceipt.objects.count()

    with CaptureQueriesContext(connection) as queries:
        output = prune("--older-than", "30", "--batch-size", "2")

    assert output.startswith("Deleted 2 deliveries and 1 task results finished before ")
    assert left() == {rows.recent_done, rows.old_dead, rows.pending, rows.running}
    assert (EventRecord.objects.count(), DeliveryReceipt.objects.count()) == (trail, receipts)
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    batches = [sql.rsplit(" IN (", 1)[1].count(",") + 1 for sql in deletes]
    assert len(batches) >= 2 and max(batches) <= 2 and sum(batches) == 3
    mock_event_bus.assert_published_exactly(
        [
            BulkOperationCompleted(
                kind="events.prune",
                count=3,
                succeeded=3,
                skipped=0,
                details="2 deliveries, 1 task results",
                events_published={},
                duration_ms=0,
            )
        ]
    )


def test_dead_deliveries_go_only_when_asked(rows):
    prune("--older-than", "30", "--include-failed")

    assert left() == {rows.recent_done, rows.pending, rows.running}


def test_a_dry_run_counts_and_deletes_nothing(rows, mock_event_bus):
    before = left()

    output = json.loads(prune("--older-than", "30", "--dry-run", "--json"))

    assert (output["deliveries"], output["task_results"], output["dry_run"]) == (2, 1, True)
    assert left() == before
    mock_event_bus.assert_nothing_published()


def test_a_second_prune_changes_nothing(rows, mock_event_bus):
    prune("--older-than", "30")
    mock_event_bus.reset()
    before = left()

    output = prune("--older-than", "30")

    assert output.startswith("Deleted 0 deliveries and 0 task results")
    assert left() == before
    mock_event_bus.assert_nothing_published()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "-1"], "--older-than is a number of days, 0 or more."),
        (["--older-than", "30", "--batch-size", "0"], "--batch-size must be at least 1."),
    ],
)
def test_bad_input_is_refused(rows, args, message):
    before = left()

    with pytest.raises(CommandError, match=message):
        prune(*args)

    assert left() == before
