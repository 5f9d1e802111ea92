"""Staff (ADMINS, through mail_admins) hear of suspicious logins, traffic spikes, spam,
constraint violations and orphaned data, at most once per kind per quarter hour: the first
event of a quarter sends the email, the next quarter's email counts the ones held back."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from events import bus
from events.ops.events import DatabaseConstraintViolation, OrphanedDataDetected
from events.system.analytics.events import HighTrafficDetected
from events.system.maintenance import alerts
from events.system.maintenance.models import StaffAlert
from events.system.moderation.events import SpamDetected
from events.system.security.events import SuspiciousLoginActivity

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


STAFF_EVENTS = [
    (
        "suspicious_login",
        lambda: SuspiciousLoginActivity(
            reason="credential_stuffing",
            client_ip="192.0.2.1",
            user_id=None,
            accounts=10,
            failures=12,
            window_seconds=600,
        ),
    ),
    (
        "high_traffic",
        lambda: HighTrafficDetected(
            window_start=datetime(2030, 1, 1, tzinfo=UTC), requests=20_000, threshold=10_000
        ),
    ),
    (
        "spam",
        lambda: SpamDetected(
            item_id=1,
            content_type="article",
            article_id=1,
            comment_id=None,
            author_id=1,
            score=9,
            reasons=("links",),
        ),
    ),
    (
        "constraint_violation",
        lambda: DatabaseConstraintViolation(
            kind="unique", constraint="user_email_ci_unique", table="users_user"
        ),
    ),
    (
        "orphaned_data",
        lambda: OrphanedDataDetected(kind="favorites", count=3, sample_ids=("1", "2")),
    ),
]


@pytest.fixture
def admins(settings):
    settings.ADMINS = ["ops@example.com"]


@pytest.mark.parametrize(("kind", "make"), STAFF_EVENTS, ids=[kind for kind, _ in STAFF_EVENTS])
def test_staff_hear_of_each_kind_once_a_quarter_hour(kind, make, admins, committed):

    with committed():
        for _ in range(3):
            bus.publish(make())

    assert [
        (m.to, m.subject.startswith(f"[Conduit] {alerts.TITLES[kind]}")) for m in mail.outbox
    ] == [(["ops@example.com"], True)]
    assert StaffAlert.objects.filter(kind=kind).count() == 1


def test_the_next_quarters_alert_counts_what_the_last_held_back(admins, committed):

    def traffic(at: datetime) -> HighTrafficDetected:
        return HighTrafficDetected(
            occurred_at=at, window_start=at, requests=20_000, threshold=10_000
        )

    now = datetime.now(UTC)
    with committed():
        for _ in range(4):
            bus.publish(traffic(now - timedelta(minutes=15)))  # the quarter before
        bus.publish(traffic(now))

    assert len(mail.outbox) == 2
    assert "3 more were recorded without an email" in mail.outbox[1].body


def test_a_redelivered_or_replayed_alert_sends_no_second_email(admins, committed):
    from events.models import DeliveryReceipt, EventRecord
    from events.outbox import deliver_event

    handler = "events.system.maintenance.alerts.alert_spam"
    with committed():
        bus.publish(dict(STAFF_EVENTS)["spam"]())
    record = EventRecord.objects.get(type="events.SpamDetected")

    assert deliver_event.call(str(record.event_id), handler) == "already handled"
    DeliveryReceipt.objects.filter(handler=handler).delete()
    assert deliver_event.call(str(record.event_id), handler) == "handled"

    assert len(mail.outbox) == 1
