"""The unit of work (events/core/unit_of_work.py): the events published inside a service's
transaction reach the audit trail in one INSERT, and their deliveries in one more (the same
statement on PostgreSQL), just before it commits; nothing of them survives a rollback; inline
handlers still run after commit, in publish order, in the context each event was published in."""

import uuid
from dataclasses import dataclass
from typing import ClassVar

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conduit.inserts import insert_values
from events import bus
from events.core.context import EventContext, event_context
from events.core.event import Event, unregister
from events.core.unit_of_work import flush_collected, unit_of_work
from events.models import EventRecord
from events.outbox import _record_values, deliveries, enqueue_deliveries
from events.tests import support
from events.tests.support import SampleFollowedUp, SampleHappened
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AUDIT_TABLE = EventRecord._meta.db_table
DELIVERY_TABLE = deliveries().model._meta.db_table


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleGlanced(Event):
    """Looked at, not changed (test only): stays out of the audit trail."""

    type_name: ClassVar[str] = "tests.SampleGlanced"
    audited: ClassVar[bool] = False
    kept_as: ClassVar[str] = "nothing"

    sample_id: int


@pytest.fixture(autouse=True, scope="module")
def _forget_test_types():
    yield
    unregister("tests.SampleGlanced")


@unit_of_work
def samples_record(*, sample_ids: list[int]) -> list[SampleHappened]:
    """A service: one event per sample, in one unit of work."""
    events = [SampleHappened(sample_id=sample_id) for sample_id in sample_ids]
    for event in events:
        bus.publish(event)
    return events


def inserts_into(captured: CaptureQueriesContext, table: str) -> int:
    """How many statements insert into the table (on PostgreSQL one statement inserts into
    both tables: conduit.inserts.insert_rows)."""
    return sum(f'INSERT INTO "{table}"' in query["sql"] for query in captured.captured_queries)


def test_a_service_publishing_three_events_inserts_once_into_the_trail_and_once_into_deliveries(
    fresh_bus,
):
    fresh_bus.subscribe(SampleHappened, support.remember, background=True)
    fresh_bus.subscribe(SampleHappened, support.remember_too, background=True)

    with CaptureQueriesContext(connection) as captured:
        events = samples_record(sample_ids=[1, 2, 3])

    assert inserts_into(captured, AUDIT_TABLE) == 1
    assert inserts_into(captured, DELIVERY_TABLE) == 1
    if connection.vendor == "postgresql":
        [both] = [q["sql"] for q in captured.captured_queries if "INSERT INTO" in q["sql"]]
        assert both.startswith(f'WITH inserted_0 AS (INSERT INTO "{AUDIT_TABLE}"'), both
    assert set(EventRecord.objects.values_list("event_id", flat=True)) == {
        event.event_id for event in events
    }
    assert deliveries().count() == 6


def test_a_units_delivery_rows_are_those_a_delivery_made_one_at_a_time_has(fresh_bus):
    # A unit's deliveries are written from values made once (events.outbox._delivery_values),
    # not from a model instance each: they must still be the rows the model would make.
    fresh_bus.subscribe(SampleHappened, support.remember, background=True)
    fresh_bus.subscribe(SampleHappened, support.remember_too, background=True)
    columns = [
        field.attname for field in deliveries().model._meta.concrete_fields if field.name != "id"
    ]

    [event] = samples_record(sample_ids=[1])
    from_unit = list(deliveries().order_by("args_kwargs").values(*columns))
    deliveries().delete()
    enqueue_deliveries(event, [support.remember_too.__module__ + ".remember_too"])
    enqueue_deliveries(event, [support.remember.__module__ + ".remember"])
    one_at_a_time = list(deliveries().order_by("args_kwargs").values(*columns))

    ignored = {"enqueued_at"}
    assert [{k: v for k, v in row.items() if k not in ignored} for row in from_unit] == [
        {k: v for k, v in row.items() if k not in ignored} for row in one_at_a_time
    ]
    assert len({row["enqueued_at"] for row in from_unit}) == 1  # the commit's moment
    assert [row["args_kwargs"]["args"] for row in from_unit] == [
        [str(event.event_id), "events.tests.support.remember"],
        [str(event.event_id), "events.tests.support.remember_too"],
    ]


def test_a_units_audit_records_are_those_the_model_would_write(fresh_bus):
    # Written from values too (events.outbox._record_values): each already what its field
    # would make of it, so the row is the one Model.save would write.
    context = EventContext(actor_id=7, request_id="req-1", causation_id=uuid.uuid4())
    event = SampleHappened(sample_id=3)

    values = _record_values(event, context)

    assert insert_values(EventRecord(**values)) == values
    with event_context(actor_id=7, request_id="req-1", causation_id=context.causation_id):
        samples_record(sample_ids=[3])
    stored = EventRecord.objects.values(*values).get()
    assert stored | {"event_id": None, "occurred_at": None} == values | {
        "event_id": None,
        "occurred_at": None,
    }


def test_the_events_are_written_at_the_end_of_the_unit_still_inside_its_transaction(fresh_bus):
    with unit_of_work():
        event = SampleHappened(sample_id=1)
        bus.publish(event)
        assert not EventRecord.objects.exists(), "collected until the unit ends"
        assert transaction.get_connection().in_atomic_block

    assert EventRecord.objects.get().event_id == event.event_id


def test_a_rolled_back_unit_leaves_no_record_no_delivery_and_dispatches_nothing(
    fresh_bus, django_capture_on_commit_callbacks
):
    fresh_bus.subscribe(SampleHappened, support.remember)
    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        unit_of_work(),
    ):
        bus.publish(SampleHappened(sample_id=1))
        bus.publish(SampleHappened(sample_id=2))
        raise RuntimeError("the business change failed")

    assert callbacks == []
    assert support.calls == []
    assert EventRecord.objects.count() == 0
    assert deliveries().count() == 0


def test_a_unit_marked_for_rollback_writes_nothing(fresh_bus):
    with unit_of_work():
        bus.publish(SampleHappened(sample_id=1))
        transaction.set_rollback(True)

    assert EventRecord.objects.count() == 0


def test_inline_handlers_run_after_commit_in_publish_order(
    fresh_bus, django_capture_on_commit_callbacks
):
    fresh_bus.subscribe(SampleHappened, support.remember)

    with django_capture_on_commit_callbacks(execute=True), unit_of_work():
        first = SampleHappened(sample_id=1)
        bus.publish(first)
        with unit_of_work():
            second = SampleHappened(sample_id=2)
            bus.publish(second)
        third = SampleHappened(sample_id=3)
        bus.publish(third)
        assert support.calls == [], "inline handlers must not run before commit"

    assert support.calls == [("remember", first), ("remember", second), ("remember", third)]


def test_the_collected_deliveries_run_after_commit_under_deliver_on_commit(
    fresh_bus, committed, settings
):
    settings.EVENTS_DELIVER_ON_COMMIT = True
    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)

    with committed():
        samples_record(sample_ids=[4, 5])
        assert not EventRecord.objects.filter(type=SampleFollowedUp.type_name).exists()

    followed_up = EventRecord.objects.filter(type=SampleFollowedUp.type_name)
    assert sorted(record.payload["sample_id"] for record in followed_up) == [4, 5]
    assert set(deliveries().values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_a_publish_outside_a_unit_is_written_at_once(fresh_bus):
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        event = SampleHappened(sample_id=1)
        bus.publish(event)
        assert EventRecord.objects.filter(pk=event.event_id).exists()
        bus.publish(SampleHappened(sample_id=2))

    assert inserts_into(captured, AUDIT_TABLE) == 2


def test_a_nested_unit_joins_the_outermost(fresh_bus):
    fresh_bus.subscribe(SampleHappened, support.remember, background=True)

    with CaptureQueriesContext(connection) as captured, unit_of_work():
        bus.publish(SampleHappened(sample_id=1))
        samples_record(sample_ids=[2, 3])
        assert not EventRecord.objects.exists(), "the inner unit's end writes nothing"

    assert inserts_into(captured, AUDIT_TABLE) == 1
    assert inserts_into(captured, DELIVERY_TABLE) == 1
    assert EventRecord.objects.count() == 3


def test_a_nested_unit_that_rolls_back_takes_only_its_own_events(
    fresh_bus, django_capture_on_commit_callbacks
):
    fresh_bus.subscribe(SampleHappened, support.remember)

    with django_capture_on_commit_callbacks(execute=True), unit_of_work():
        kept = SampleHappened(sample_id=1)
        bus.publish(kept)
        with pytest.raises(RuntimeError), unit_of_work():
            bus.publish(SampleHappened(sample_id=2))
            raise RuntimeError("the inner change failed")
        after = SampleHappened(sample_id=3)
        bus.publish(after)

    assert list(EventRecord.objects.values_list("payload__sample_id", flat=True)) == [1, 3]
    assert support.calls == [("remember", kept), ("remember", after)]


def test_a_publish_inside_a_savepoint_of_its_own_rolls_back_with_it(fresh_bus):
    with unit_of_work():
        bus.publish(SampleHappened(sample_id=1))
        with pytest.raises(RuntimeError), transaction.atomic():
            bus.publish(SampleHappened(sample_id=2))
            raise RuntimeError("the savepoint's change failed")
        with transaction.atomic():
            bus.publish(SampleHappened(sample_id=3))

    assert sorted(EventRecord.objects.values_list("payload__sample_id", flat=True)) == [1, 3]


def test_each_event_keeps_the_context_it_was_published_in(fresh_bus):
    with unit_of_work():
        with event_context(actor_id=7, request_id="req-a"):
            first = SampleHappened(sample_id=1)
            bus.publish(first)
        with event_context(actor_id=8, request_id="req-b", causation_id=first.event_id):
            second = SampleHappened(sample_id=2)
            bus.publish(second)

    records = {record.event_id: record for record in EventRecord.objects.all()}
    assert (records[first.event_id].actor_id, records[first.event_id].request_id) == (7, "req-a")
    assert records[first.event_id].causation_id is None
    assert (records[second.event_id].actor_id, records[second.event_id].request_id) == (
        8,
        "req-b",
    )
    assert records[second.event_id].causation_id == first.event_id


def test_an_unaudited_event_inside_a_unit_is_dispatched_at_once_and_never_recorded(fresh_bus):
    fresh_bus.subscribe(SampleGlanced, support.remember)

    with unit_of_work():
        event = SampleGlanced(sample_id=1)
        bus.publish(event)
        assert support.calls == [("remember", event)]

    assert EventRecord.objects.count() == 0


def test_flush_collected_writes_what_the_unit_holds_so_far_and_a_rollback_still_takes_it(
    fresh_bus,
):
    with unit_of_work():
        kept = SampleHappened(sample_id=1)
        bus.publish(kept)
        with pytest.raises(RuntimeError), unit_of_work():
            bus.publish(SampleHappened(sample_id=2))
            flush_collected()
            assert EventRecord.objects.count() == 2
            raise RuntimeError("the inner change failed")
        bus.publish(SampleHappened(sample_id=3))

    assert sorted(EventRecord.objects.values_list("payload__sample_id", flat=True)) == [1, 3]


def test_a_change_whose_events_cannot_be_written_does_not_commit(fresh_bus, monkeypatch):
    def refuse(pending):
        raise RuntimeError("the audit trail is unreachable")

    monkeypatch.setattr(fresh_bus._outbox, "record_many", refuse)

    with pytest.raises(RuntimeError, match="unreachable"), unit_of_work():
        UserFactory(username="kept-only-with-its-events")
        bus.publish(SampleHappened(sample_id=1))

    assert not User.objects.filter(username="kept-only-with-its-events").exists()
