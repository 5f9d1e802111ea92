"""The owner is told, by email from the worker, once per event (each handler run twice sends
one email): a new password, a new email (the old address too, the new one masked), a lock,
and a login from a new address right after a lock. Staff hear of suspicious logins, traffic
spikes, spam, constraint violations and orphaned data, at most once per kind per quarter."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from conduit.auth import issue_token
from events import bus
from events.models import DeliveryReceipt, EventRecord
from events.ops.events import DatabaseConstraintViolation, OrphanedDataDetected
from events.outbox import deliver_event
from events.system.analytics.events import HighTrafficDetected
from events.system.moderation.events import SpamDetected
from events.system.security import alerts
from events.system.security.events import SuspiciousLoginActivity
from events.system.security.models import StaffAlert
from events.system.security.notices import mask_email
from events.system.security.tests.conftest import ADDRESS
from users.models import User

pytestmark = pytest.mark.django_db

ME = "/api/user"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def run_again(handler: str, event_type: str) -> None:
    """Run the handler's delivery again, as a redelivery would, and once more past its
    receipt, as a replay would: neither may send a second email."""
    record = EventRecord.objects.filter(type=event_type).latest("occurred_at")
    assert deliver_event.call(str(record.event_id), handler) == "already handled"
    DeliveryReceipt.objects.filter(handler=handler).delete()
    assert deliver_event.call(str(record.event_id), handler) == "handled"


def sent():
    return [(message.subject, message.to) for message in mail.outbox]


def test_a_password_change_is_told_to_the_owner_once(api_client, alice, committed):
    with committed():
        response = api_client.put(
            ME,
            {"user": {"password": "a brand new secret"}},
            format="json",
            HTTP_AUTHORIZATION=f"Token {issue_token(alice)}",
        )
    assert response.status_code == 200

    run_again(
        "events.system.security.notices.tell_owner_of_password_change", "events.UserPasswordChanged"
    )

    assert sent() == [("Your Conduit password was changed", ["alice@example.com"])]
    assert "signed out" in mail.outbox[0].body


def test_a_password_changed_in_a_shell_is_told_too(alice, committed):
    with committed():
        user = User.objects.get(pk=alice.pk)
        user.set_password("changed in a shell")
        user.save()

    assert sent() == [("Your Conduit password was changed", ["alice@example.com"])]


def test_an_email_change_is_told_to_the_old_address_and_the_new_one_masked(
    api_client, alice, committed
):
    with committed():
        response = api_client.put(
            ME,
            {"user": {"email": "mallory@evil.example"}},
            format="json",
            HTTP_AUTHORIZATION=f"Token {issue_token(alice)}",
        )
    assert response.status_code == 200

    run_again(
        "events.system.security.notices.tell_owner_of_email_change", "events.UserEmailChanged"
    )

    assert sent() == [
        ("Your Conduit email address was changed", ["alice@example.com"]),
        ("Your Conduit email address was changed", ["mallory@evil.example"]),
    ]
    assert "m***@evil.example" in mail.outbox[0].body
    assert "mallory@evil.example" not in mail.outbox[0].body


def test_an_email_changed_in_a_shell_is_told_too(alice, committed):

    with committed():
        user = User.objects.get(pk=alice.pk)
        user.email = "new-alice@example.com"
        user.save()

    assert [to for _, to in sent()] == [["alice@example.com"], ["new-alice@example.com"]]


def test_a_lock_is_told_to_the_owner_once(attempt_login, alice):
    for _ in range(5):
        attempt_login("alice@example.com", "wrong")

    run_again("events.system.security.notices.tell_owner_of_lock", "events.UserAccountLocked")

    assert sent() == [("Sign-ins to your Conduit account were locked", ["alice@example.com"])]
    assert ADDRESS in mail.outbox[0].body
    assert "Sign-ins from your other addresses still work" in mail.outbox[0].body


def test_a_lock_of_an_unknown_email_tells_nobody(attempt_login, alice):
    for _ in range(5):
        attempt_login("nobody@example.com", "wrong")

    assert sent() == []


def test_a_login_from_a_new_address_right_after_a_lock_is_told_to_the_owner(attempt_login, alice):
    for _ in range(5):
        attempt_login("alice@example.com", "wrong")
    mail.outbox.clear()

    assert attempt_login(ip="198.51.100.99").status_code == 200
    run_again(
        "events.system.security.notices.tell_owner_of_new_address_after_lock",
        "events.SuspiciousLoginActivity",
    )

    assert sent() == [("New sign-in to your Conduit account after a lock", ["alice@example.com"])]
    assert "198.51.100.99" in mail.outbox[0].body


def test_an_address_is_masked_to_its_first_letter_and_domain():
    assert mask_email("mallory@evil.example") == "m***@evil.example"
    assert mask_email("broken") == "***"


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
