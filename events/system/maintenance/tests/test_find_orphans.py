"""`find_orphans`: every kind of data that belongs to nothing any more is found and reported
(OrphanedDataDetected per kind); `--fix` fixes it through the services as one bulk operation;
`--dry-run` changes nothing; a second `--fix` finds nothing."""

import json
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace
from uuid import uuid4

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone

from articles.tests.factories import ArticleFactory
from events.models import DeliveryReceipt, EventRecord
from events.ops.events import BulkOperationCompleted, OrphanedDataDetected
from events.outbox import deliveries, enqueue_deliveries
from events.testing import assert_same_events
from events.tests.support import SampleHappened
from tags.events import TagDeleted
from tags.models import Tag
from tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def record(event) -> None:
    EventRecord.objects.create(
        event_id=event.event_id,
        type=event.type_name,
        version=event.version,
        payload=event.to_payload(),
        occurred_at=event.occurred_at,
    )


@pytest.fixture
def orphans(settings):
    """One of each kind, beside rows that belong where they are."""
    settings.EVENTS_LEASE_SECONDS = 60
    ArticleFactory(tag_list=["used"])
    TagFactory(name="lonely")
    kept = SampleHappened(sample_id=1)
    record(kept)
    [healthy] = enqueue_deliveries(kept, ["events.tests.support.remember"])
    [no_event] = enqueue_deliveries(SampleHappened(sample_id=2), ["events.tests.support.remember"])
    [no_handler] = enqueue_deliveries(kept, ["events.tests.support.long_gone"])
    [stuck] = enqueue_deliveries(kept, ["events.tests.support.remember_too"])
    deliveries().filter(pk=stuck).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(minutes=5)
    )
    receipt = DeliveryReceipt.objects.create(event_id=uuid4(), handler="x.y")
    DeliveryReceipt.objects.create(event_id=kept.event_id, handler="events.tests.support.remember")
    return SimpleNamespace(
        healthy=str(healthy),
        no_event=str(no_event),
        no_handler=str(no_handler),
        stuck=str(stuck),
        receipt=str(receipt.pk),
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("find_orphans", *args, stdout=out)
    return out.getvalue()


def state() -> dict[str, object]:
    return {
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)),
        "deliveries": sorted(
            (str(pk), status) for pk, status in deliveries().values_list("pk", "status")
        ),
        "receipts": sorted(DeliveryReceipt.objects.values_list("pk", flat=True)),
    }


def test_every_kind_found_is_reported_and_nothing_changes(orphans, mock_event_bus):
    before = state()

    output = run()

    assert output.splitlines() == [
        "     1  unused_tags: tags no article uses (e.g. lonely)",
        "     1  deliveries_without_event: pending or dead deliveries whose event is not in "
        f"the audit trail (e.g. {orphans.no_event})",
        "     1  receipts_without_event: delivery receipts whose event is not in the audit "
        f"trail (e.g. {orphans.receipt})",
        "     1  deliveries_to_missing_handlers: pending or dead deliveries to a handler the "
        f"code no longer has (e.g. {orphans.no_handler})",
        "     1  expired_leases: deliveries left running by a worker that died (requeued as "
        f"the worker would) (e.g. {orphans.stuck})",
        "5 found; --fix fixes them.",
    ]
    mock_event_bus.assert_published_exactly(
        [
            OrphanedDataDetected(kind="unused_tags", count=1, sample_ids=("lonely",)),
            OrphanedDataDetected(
                kind="deliveries_without_event", count=1, sample_ids=(orphans.no_event,)
            ),
            OrphanedDataDetected(
                kind="receipts_without_event", count=1, sample_ids=(orphans.receipt,)
            ),
            OrphanedDataDetected(
                kind="deliveries_to_missing_handlers", count=1, sample_ids=(orphans.no_handler,)
            ),
            OrphanedDataDetected(kind="expired_leases", count=1, sample_ids=(orphans.stuck,)),
        ]
    )
    assert state() == before


def test_a_dry_run_publishes_and_changes_nothing(orphans, mock_event_bus):
    before = state()

    output = run("--fix", "--dry-run")

    assert output.endswith("5 found; --fix fixes them.\n")
    mock_event_bus.assert_nothing_published()
    assert state() == before


def test_fixing_removes_them_through_the_services_as_one_bulk_operation(
    orphans, mock_event_bus, operation_clock
):
    output = run("--fix")

    assert output.endswith("Fixed 5 of 5.\n")
    assert "; fixed 1" in output.splitlines()[0]
    assert state() == {
        "tags": ["used"],
        "deliveries": sorted(
            [
                (orphans.healthy, TaskResultStatus.READY),
                (orphans.stuck, TaskResultStatus.READY),
            ]
        ),
        "receipts": [
            DeliveryReceipt.objects.get(handler="events.tests.support.remember").pk,
        ],
    }
    assert_same_events(
        mock_event_bus.published[5:],
        [
            TagDeleted(name="lonely"),
            BulkOperationCompleted(
                kind="orphans.fix",
                count=5,
                succeeded=5,
                skipped=0,
                details=(
                    "unused_tags: 1; deliveries_without_event: 1; receipts_without_event: 1; "
                    "deliveries_to_missing_handlers: 1; expired_leases: 1"
                ),
                events_published={"tags.TagDeleted": 1},
                duration_ms=0,
            ),
        ],
    )


def test_a_second_fix_finds_nothing_and_publishes_nothing(orphans, mock_event_bus):
    run("--fix")
    mock_event_bus.reset()
    before = state()

    output = run("--fix")

    assert output.endswith("No orphaned data.\n")
    mock_event_bus.assert_nothing_published()
    assert state() == before


def test_json_lists_every_kind(orphans):
    output = json.loads(run("--json", "--dry-run"))

    assert output["dry_run"] is True and output["fix"] is False
    assert [(kind["kind"], kind["count"], kind["fixed"]) for kind in output["kinds"]] == [
        ("unused_tags", 1, 0),
        ("deliveries_without_event", 1, 0),
        ("receipts_without_event", 1, 0),
        ("deliveries_to_missing_handlers", 1, 0),
        ("expired_leases", 1, 0),
    ]
    assert output["kinds"][0]["sample_ids"] == ["lonely"]
