"""Handlers that take batches (events.core.wiring.handles_batches): the worker hands such a
handler every delivery of a claimed batch at once, in one transaction with their receipts;
a batch that fails runs each of its events alone."""

import pytest
from django.tasks import TaskResultStatus

from events import bus
from events.core.context import event_context
from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliveries
from events.tests import support
from events.tests.support import SampleFollowedUp, SampleHappened
from events.worker import build_worker

pytestmark = pytest.mark.django_db

HANDLER = "events.tests.support.follow_up_batch"


@pytest.fixture
def batch_handler(fresh_bus, settings):
    """follow_up_batch subscribed in the background; deliveries wait for the worker."""
    settings.EVENTS_DELIVER_ON_COMMIT = False
    fresh_bus.subscribe(SampleHappened, support.follow_up_batch, background=True)
    support.batches.clear()
    yield
    support.batches.clear()


def publish_samples(committed, *sample_ids: int) -> list[SampleHappened]:
    events = [SampleHappened(sample_id=sample_id) for sample_id in sample_ids]
    with committed(), event_context(actor_id=7, request_id="req-batch"):
        for event in events:
            bus.publish(event)
    return events


def follow_ups() -> dict[int, EventRecord]:
    records = EventRecord.objects.filter(type=SampleFollowedUp.type_name)
    return {record.payload["sample_id"]: record for record in records}


def test_a_batch_handler_gets_the_claimed_deliveries_at_once_with_their_receipts(
    batch_handler, committed
):
    events = publish_samples(committed, 1, 2, 3, 4, 5)

    build_worker().run()

    assert support.batches == [[1, 2, 3, 4, 5]]
    assert set(deliveries().values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    assert DeliveryReceipt.objects.filter(handler=HANDLER).count() == 5
    # Each follow-up is the effect of its own event, in its publisher's context.
    made = follow_ups()
    assert sorted(made) == [1, 2, 3, 4, 5]
    for event in events:
        record = made[event.sample_id]
        assert (record.causation_id, record.actor_id, record.request_id) == (
            event.event_id,
            7,
            "req-batch",
        )


def test_one_bad_event_fails_alone_and_the_others_of_its_batch_succeed(
    batch_handler, committed, settings
):
    settings.EVENTS_MAX_ATTEMPTS = 3
    publish_samples(committed, 1, -2, 3)

    build_worker().run()

    # The batch failed whole (rolled back), then each event ran on its own.
    assert support.batches == [[1, -2, 3], [1], [-2], [3]]
    by_sample = {
        delivery.args_kwargs["args"][0]: delivery for delivery in deliveries().order_by("pk")
    }
    statuses = {
        EventRecord.objects.get(pk=event_id).payload["sample_id"]: (
            delivery.status,
            len(delivery.worker_ids),
        )
        for event_id, delivery in by_sample.items()
    }
    assert statuses == {
        1: (TaskResultStatus.SUCCESSFUL, 1),
        -2: (TaskResultStatus.READY, 1),  # retried later, one attempt spent
        3: (TaskResultStatus.SUCCESSFUL, 1),
    }
    assert sorted(follow_ups()) == [1, 3]
    assert DeliveryReceipt.objects.filter(handler=HANDLER).count() == 2


def test_a_batch_whose_receipts_are_gone_runs_again_without_a_second_effect(
    batch_handler, committed
):
    publish_samples(committed, 1, 2, 3)
    build_worker().run()
    DeliveryReceipt.objects.all().delete()
    deliveries().update(status=TaskResultStatus.READY, worker_ids=[])

    build_worker().run()

    assert support.batches == [[1, 2, 3], [1, 2, 3]]
    assert sorted(follow_ups()) == [1, 2, 3]
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 3
    assert DeliveryReceipt.objects.filter(handler=HANDLER).count() == 3


def test_handled_deliveries_are_left_out_of_the_batch(batch_handler, committed):
    first, *_ = publish_samples(committed, 1, 2, 3)
    DeliveryReceipt.objects.create(event_id=first.event_id, handler=HANDLER)

    build_worker().run()

    assert support.batches == [[2, 3]]
    assert set(deliveries().values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    assert sorted(follow_ups()) == [2, 3]
