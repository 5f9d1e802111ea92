"""Bulk operations (events.core.operations) are told as one BulkOperationCompleted when they
complete having changed something: their counts, the events they published, their duration;
in the caller's transaction; once, however they nest."""

import pytest
from django.db import transaction

from events import bus
from events.core.operations import bulk_operation
from events.models import EventRecord
from events.ops.events import BulkOperationCompleted
from events.testing import assert_same_events, recorded
from events.tests.support import SampleFollowedUp, SampleHappened

pytestmark = pytest.mark.django_db


def test_a_completed_operation_is_told_with_its_counts_events_and_duration(
    fresh_bus, committed, operation_clock
):
    with committed(), bulk_operation("samples.process") as operation:
        bus.publish(SampleHappened(sample_id=1))
        bus.publish(SampleHappened(sample_id=2))
        bus.publish(SampleFollowedUp(sample_id=2))
        operation.done(2)
        operation.skip()
        operation.note("2 processed")
        operation.note("1 already done")
        operation_clock.advance(1.234)

    assert_same_events(
        recorded(BulkOperationCompleted),
        [
            BulkOperationCompleted(
                kind="samples.process",
                count=3,
                succeeded=2,
                skipped=1,
                details="2 processed; 1 already done",
                events_published={"tests.SampleFollowedUp": 1, "tests.SampleHappened": 2},
                duration_ms=1234,
            )
        ],
    )
    record = EventRecord.objects.get(type=BulkOperationCompleted.type_name)
    assert (record.aggregate_type, record.aggregate_id) == ("bulk_operation", "samples.process")


def test_an_operation_that_changed_nothing_is_not_told(mock_event_bus):
    with bulk_operation("samples.process") as operation:
        operation.skip(3)

    mock_event_bus.assert_nothing_published()


def test_an_operation_that_failed_is_not_told(mock_event_bus):
    with pytest.raises(RuntimeError), bulk_operation("samples.process") as operation:
        bus.publish(SampleHappened(sample_id=1))
        operation.done()
        raise RuntimeError("halfway")

    assert mock_event_bus.events_of(BulkOperationCompleted) == []


def test_an_operation_inside_another_is_part_of_it(mock_event_bus, operation_clock):
    with bulk_operation("outer") as outer:
        with bulk_operation("inner") as inner:
            bus.publish(SampleHappened(sample_id=1))
            inner.done()
        outer.done()
        outer.done()

    assert (inner.count, outer.count) == (1, 2)
    mock_event_bus.assert_published_exactly(
        [
            SampleHappened(sample_id=1),
            BulkOperationCompleted(
                kind="outer",
                count=2,
                succeeded=2,
                skipped=0,
                details="",
                events_published={"tests.SampleHappened": 1},
                duration_ms=0,
            ),
        ]
    )


def test_the_report_commits_or_rolls_back_with_the_operation(fresh_bus):
    with transaction.atomic():
        with bulk_operation("samples.process") as operation:
            bus.publish(SampleHappened(sample_id=1))
            operation.done()
        transaction.set_rollback(True)

    assert not EventRecord.objects.exists()
