"""An endpoint whose every attempt fails for WEBHOOKS_PAUSE_AFTER_SECONDS is paused, audited,
and the admins are told once; a paused endpoint gets no new deliveries until resumed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events import bus
from events.core.unit_of_work import unit_of_work
from events.models import EventRecord
from events.system.webhooks import sender as sender_module
from events.system.webhooks import services
from events.system.webhooks.models import Attempt, Delivery, Endpoint
from events.system.webhooks.sender import Sender
from events.tests.support import SampleHappened

pytestmark = pytest.mark.django_db


def publish(sample_id: int) -> None:
    with unit_of_work():
        bus.publish(SampleHappened(sample_id=sample_id))


def test_a_long_failing_endpoint_is_paused_and_the_admins_told_once(
    private_allowed, receiver, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    private_allowed.ADMINS = ["ops@example.com"]
    url = receiver.on("/down", lambda r: (503, {}, b"down"))
    endpoint, _ = services.endpoint_create(url=url, event_types=["*"])
    Delivery.objects.all().delete()
    publish(1)
    Sender().drain(timeout=10, until=lambda: Attempt.objects.exists())
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.paused_at is None

    later = timezone.now() + timedelta(seconds=private_allowed.WEBHOOKS_PAUSE_AFTER_SECONDS + 1)
    monkeypatch.setattr(sender_module, "now", lambda: later)
    publish(2)
    with django_capture_on_commit_callbacks(execute=True):
        Sender().drain(timeout=10, until=lambda: Attempt.objects.count() >= 2)
        # A second sender seeing the same failure pauses nothing more and mails no one.
        assert services.endpoint_pause(endpoint.pk) is False

    endpoint.refresh_from_db()
    assert endpoint.paused_at is not None
    assert len(mailoutbox) == 1
    assert url in mailoutbox[0].body and "paused" in mailoutbox[0].subject
    assert EventRecord.objects.filter(type="webhooks.EndpointPaused").count() == 1

    before = Delivery.objects.count()
    publish(3)
    assert Delivery.objects.count() == before  # paused: nothing new

    services.endpoint_resume(endpoint)
    assert Endpoint.objects.get().paused_at is None
    publish(4)
    assert Delivery.objects.count() > before
