import logging

import pytest
from django.db import transaction
from django.tasks import TaskResultStatus

from events import bus
from events.core.context import current_context, event_context
from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliver_event, deliveries
from events.tests import support
from events.tests.support import SampleFollowedUp, SampleHappened, SpecialSampleHappened

pytestmark = pytest.mark.django_db


def test_rolled_back_publish_leaves_no_record_no_delivery_and_no_signal(fresh_bus):
    fresh_bus.subscribe(SampleHappened, support.remember)
    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)

    with pytest.raises(RuntimeError), transaction.atomic():
        bus.publish(SampleHappened(sample_id=1))
        raise RuntimeError("the business change failed")

    assert EventRecord.objects.count() == 0
    assert deliveries().count() == 0
    assert support.calls == []


def test_committed_publish_writes_one_record_then_calls_inline_handlers_after_commit(
    fresh_bus, django_capture_on_commit_callbacks
):
    fresh_bus.subscribe(SampleHappened, support.remember)
    event = SampleHappened(sample_id=7, names=("a", "b"))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with event_context(actor_id=42, request_id="req-1"):
            bus.publish(event)
        assert support.calls == [], "inline handlers must not run before commit"

    assert support.calls == [("remember", event)]
    record = EventRecord.objects.get()
    assert record.event_id == event.event_id
    assert record.type == "tests.SampleHappened"
    assert record.version == 1
    assert record.payload == {
        "sample_id": 7,
        "names": ["a", "b"],
        "marker_path": "",
        "sleep_seconds": 0.0,
    }
    assert record.occurred_at == event.occurred_at
    assert (record.actor_id, record.request_id) == (42, "req-1")
    assert (record.aggregate_type, record.aggregate_id) == ("sample", "7")
    assert record.causation_id is None


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_dispatches_at_once(fresh_bus):
    fresh_bus.subscribe(SampleHappened, support.remember)
    event = SampleHappened(sample_id=1)

    bus.publish(event)

    assert support.calls == [("remember", event)]
    assert EventRecord.objects.filter(pk=event.event_id).exists()


def test_a_failing_inline_handler_neither_raises_nor_stops_the_others(fresh_bus, committed, caplog):
    fresh_bus.subscribe(SampleHappened, support.remember)
    fresh_bus.subscribe(SampleHappened, support.explode)
    fresh_bus.subscribe(SampleHappened, support.remember_too)
    event = SampleHappened(sample_id=3)

    with caplog.at_level(logging.ERROR), committed():
        bus.publish(event)

    assert [name for name, _ in support.calls] == ["remember", "explode", "remember_too"]
    assert "Inline handler events.tests.support.explode failed" in caplog.text
    assert "RuntimeError: handler exploded" in caplog.text  # with its traceback
    failed = deliveries().get()
    assert failed.status == TaskResultStatus.FAILED
    assert failed.args_kwargs["args"] == [str(event.event_id), "events.tests.support.explode"]
    assert failed.exception_class_path == "builtins.RuntimeError"


def test_subscribing_the_same_handler_twice_delivers_once(fresh_bus, committed):
    fresh_bus.subscribe(SampleHappened, support.remember)
    fresh_bus.subscribe(SampleHappened, support.remember)
    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)
    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)

    with committed():
        bus.publish(SampleHappened(sample_id=1))

    assert len(support.calls) == 1
    assert deliveries().count() == 1


def test_a_handler_of_a_base_class_receives_subclass_events(fresh_bus, committed):
    fresh_bus.subscribe(SampleHappened, support.remember)
    fresh_bus.subscribe(SpecialSampleHappened, support.remember_too)
    special = SpecialSampleHappened(sample_id=1)
    plain = SampleHappened(sample_id=2)

    with committed():
        bus.publish(special)
        bus.publish(plain)

    assert support.calls == [("remember_too", special), ("remember", special), ("remember", plain)]


def test_inline_handlers_run_with_the_event_as_their_cause(fresh_bus, committed):
    seen = []
    fresh_bus.subscribe(SampleHappened, lambda event: seen.append(current_context()))
    event = SampleHappened(sample_id=1)

    with committed(), event_context(request_id="req-9"):
        bus.publish(event)

    assert [(context.causation_id, context.request_id) for context in seen] == [
        (event.event_id, "req-9")
    ]


def test_background_delivery_runs_after_commit_and_records_a_receipt(
    fresh_bus, django_capture_on_commit_callbacks
):
    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)
    event = SampleHappened(sample_id=5)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with event_context(request_id="req-5"):
            bus.publish(event)
        assert deliveries().get().status == TaskResultStatus.READY

    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL
    follow_up = EventRecord.objects.get(type="tests.SampleFollowedUp")
    assert follow_up.causation_id == event.event_id
    assert follow_up.request_id == "req-5"
    assert DeliveryReceipt.objects.filter(
        event_id=event.event_id, handler="events.tests.support.follow_up"
    ).exists()


def test_a_redelivered_event_has_no_second_effect(fresh_bus, committed):
    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)
    event = SampleHappened(sample_id=5)
    with committed():
        bus.publish(event)

    outcome = deliver_event.call(str(event.event_id), "events.tests.support.follow_up")

    assert outcome == "already handled"
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1


def test_async_background_handlers_run_in_the_worker(fresh_bus, committed):
    fresh_bus.subscribe_async(SampleHappened, support.follow_up_async)
    event = SampleHappened(sample_id=9)

    with committed():
        bus.publish(event)

    assert EventRecord.objects.get(type=SampleFollowedUp.type_name).causation_id == event.event_id


def test_subscribe_async_refuses_plain_functions_and_subscribe_refuses_coroutines(fresh_bus):
    with pytest.raises(TypeError, match="not a coroutine"):
        fresh_bus.subscribe_async(SampleHappened, support.remember)
    with pytest.raises(TypeError, match="use subscribe_async"):
        fresh_bus.subscribe(SampleHappened, support.follow_up_async)


@pytest.mark.parametrize(("background", "inserts"), [(0, 1), (1, 2), (3, 2)])
def test_publish_costs_one_insert_per_event_plus_one_for_all_deliveries(
    fresh_bus, django_assert_num_queries, background, inserts
):
    handlers = [support.remember, support.remember_too, support.follow_up][:background]
    for handler in handlers:
        fresh_bus.subscribe(SampleHappened, handler, background=True)
    transaction_statements = 0 if transaction.get_connection().in_atomic_block else 2
    webhook_endpoints = 1  # the webhooks app's recorder reads the receiving endpoints

    with django_assert_num_queries(
        inserts + transaction_statements + webhook_endpoints
    ) as captured:
        fresh_bus.publish(SampleHappened(sample_id=1))

    statements = [query["sql"] for query in captured.captured_queries]
    assert sum(sql.startswith("INSERT") for sql in statements) == inserts
    assert deliveries().count() == background


def test_publish_async_gives_the_same_guarantees(fresh_bus, committed):
    from asgiref.sync import async_to_sync

    fresh_bus.subscribe(SampleHappened, support.remember)
    event = SampleHappened(sample_id=11)

    with committed():
        async_to_sync(bus.publish_async)(event)

    assert support.calls == [("remember", event)]
    assert EventRecord.objects.filter(pk=event.event_id).exists()
