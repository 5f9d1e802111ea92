"""The owner is told, by email from the worker, once per event (each handler run twice sends
one email): a new password, a new email (the old address too, the new one masked), a lock,
and a login from a new address right after a lock. (Staff's alerts:
events/system/maintenance/tests/test_staff_alerts.py.)"""

import pytest
from django.core import mail

from conduit.auth import issue_token
from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliver_event
from events.system.security.notices import mask_email
from events.system.security.tests.conftest import ADDRESS
from users.models import User

pytestmark = pytest.mark.django_db

ME = "/api/user"
NOTICES = "events.system.security.notices"


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

    run_again(f"{NOTICES}.tell_owner_of_lock", "events.UserAccountLocked")

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
        f"{NOTICES}.tell_owner_of_new_address_after_lock",
        "events.SuspiciousLoginActivity",
    )

    assert sent() == [("New sign-in to your Conduit account after a lock", ["alice@example.com"])]
    assert "198.51.100.99" in mail.outbox[0].body


def test_an_address_is_masked_to_its_first_letter_and_domain():
    assert mask_email("mallory@evil.example") == "m***@evil.example"
    assert mask_email("broken") == "***"
