"""Real deliveries to a real HTTP receiver on a loopback port, by the sender the worker runs."""

import itertools
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from events import bus
from events.core.unit_of_work import unit_of_work
from events.system.webhooks import sender as sender_module
from events.system.webhooks import services
from events.system.webhooks.models import Attempt, Delivery
from events.system.webhooks.sender import Sender
from events.system.webhooks.tests.support import documented_verifier
from events.tests.support import SampleHappened
from users.events import UserRegistered

pytestmark = pytest.mark.django_db


def publish_samples(count: int, start: int = 0) -> list[str]:
    with unit_of_work():
        events = [SampleHappened(sample_id=start + i) for i in range(count)]
        for event in events:
            bus.publish(event)
    return [str(event.event_id) for event in events]


def endpoint_for(url: str, types=("*",), **options):
    """An endpoint, and an empty queue: "*" includes the endpoint's own creation event."""
    created = services.endpoint_create(url=url, event_types=list(types), **options)
    Delivery.objects.all().delete()
    return created


def test_one_delivery_per_event_and_endpoint_each_verified_by_the_documented_code(
    private_allowed, receiver
):
    verify = documented_verifier()
    _, secret_a = endpoint_for(receiver.url("/a"))
    _, secret_b = endpoint_for(receiver.url("/b"), types=["users.UserRegistered"])
    ids = publish_samples(3)
    with unit_of_work():
        bus.publish(UserRegistered(user_id=7, username="zed", email="zed@example.com"))

    Sender().drain(timeout=30)

    got_a, got_b = receiver.at("/a"), receiver.at("/b")
    samples = [r for r in got_a if json.loads(r.body)["type"] == "tests.SampleHappened"]
    assert sorted(json.loads(r.body)["id"] for r in samples) == sorted(ids)
    assert len(got_a) == 4 and len(got_b) == 1
    assert all(verify(secret_a, r.headers, r.body) for r in got_a)
    assert all(verify(secret_b, r.headers, r.body) for r in got_b)
    assert not verify(secret_a, got_b[0].headers, got_b[0].body)
    body = json.loads(got_b[0].body)
    assert body["type"] == "users.UserRegistered" and body["version"] == 1
    assert got_b[0].headers["webhook-id"] == body["id"]
    assert got_b[0].headers["content-type"] == "application/json"
    # username and email are personal data in the catalog: left out unless asked for.
    assert body["data"] == {"user_id": 7}
    assert Delivery.objects.filter(status="delivered").count() == Delivery.objects.count() == 5
    assert Attempt.objects.filter(ok=True, status_code=200, response_excerpt="thanks").count() == 5


def test_personal_fields_are_sent_to_an_endpoint_that_receives_them(private_allowed, receiver):
    endpoint_for(receiver.url("/p"), types=["users.UserRegistered"], include_personal=True)
    with unit_of_work():
        bus.publish(UserRegistered(user_id=7, username="zed", email="zed@example.com"))

    Sender().drain(timeout=30)

    [got] = receiver.at("/p")
    data = json.loads(got.body)["data"]
    assert data == {"user_id": 7, "username": "zed", "email": "zed@example.com"}


def test_a_rolled_back_write_sends_nothing(private_allowed, receiver):
    endpoint_for(receiver.url("/a"))

    with pytest.raises(RuntimeError), unit_of_work():
        bus.publish(SampleHappened(sample_id=1))
        raise RuntimeError("the write fails")

    Sender().drain(timeout=5)
    assert Delivery.objects.count() == 0
    assert receiver.at("/a") == []


def test_the_old_secret_verifies_during_the_rotation_overlap_and_not_after(
    private_allowed, receiver, monkeypatch
):
    verify = documented_verifier()
    endpoint, old = endpoint_for(receiver.url("/r"))
    new = services.endpoint_rotate_secret(endpoint)
    Delivery.objects.all().delete()
    assert new != old and new.startswith("whsec_")

    publish_samples(1)
    Sender().drain(timeout=30)
    [during] = receiver.at("/r")
    assert verify(old, during.headers, during.body) and verify(new, during.headers, during.body)

    overlap = timedelta(seconds=private_allowed.WEBHOOKS_ROTATION_OVERLAP_SECONDS)
    later = timezone.now() + overlap + timedelta(seconds=1)
    monkeypatch.setattr(sender_module, "now", lambda: later)
    publish_samples(1, start=1)
    Delivery.objects.update(next_attempt_at=timezone.now())
    Sender().drain(timeout=30)
    after = receiver.at("/r")[1]
    assert verify(new, after.headers, after.body)
    assert not verify(old, after.headers, after.body)


def test_a_receiver_failing_three_times_gets_the_event_four_times_with_growing_delays(
    private_allowed, receiver
):
    private_allowed.WEBHOOKS_RETRY_BASE_SECONDS = 0.5
    answers = iter([500, 500, 500, 200])
    url = receiver.on("/flaky", lambda r: (next(answers), {}, b"nope"))
    endpoint_for(url)
    [event_id] = publish_samples(1)

    Sender().drain(timeout=60, until=lambda: Delivery.objects.filter(status="delivered").exists())

    got = receiver.at("/flaky")
    assert [r.headers["webhook-id"] for r in got] == [event_id] * 4
    gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
    assert gaps[0] >= 0.5 and gaps[1] > gaps[0] and gaps[2] > gaps[1], gaps
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 4)
    assert list(Attempt.objects.order_by("id").values_list("status_code", flat=True)) == [
        500,
        500,
        500,
        200,
    ]


def test_a_receiver_that_never_answers_is_dead_after_the_retry_period(
    private_allowed, receiver, monkeypatch
):
    private_allowed.WEBHOOKS_TIMEOUT_SECONDS = 0.3
    url = receiver.on("/silent", lambda r: (time.sleep(1.5), (200, {}, b""))[1])
    endpoint_for(url)
    publish_samples(1)

    Sender().drain(timeout=10, until=lambda: Attempt.objects.exists())
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "no answer within 0.3s" in delivery.last_error

    # Three days on (the retry period), the next failure is the last.
    period = timedelta(seconds=private_allowed.WEBHOOKS_RETRY_PERIOD_SECONDS)
    later = timezone.now() + period
    monkeypatch.setattr(sender_module, "now", lambda: later)
    Sender().drain(timeout=10, until=lambda: Attempt.objects.count() == 2)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("dead", 2)
    assert delivery.finished_at is not None
