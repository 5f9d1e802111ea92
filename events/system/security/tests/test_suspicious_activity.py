"""SuspiciousLoginActivity: one address failing against many accounts (credential stuffing),
and a successful login from a new address right after a lock, are reported with their
evidence and listed in the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.system.security.events import SuspiciousLoginActivity
from events.system.security.models import AccountLock, LoginAttempt, SuspiciousActivity
from events.system.security.tests.conftest import ADDRESS, recorded
from events.testing import assert_same_events

pytestmark = pytest.mark.django_db

HOME = "198.51.100.20"
ELSEWHERE = "192.0.2.66"


def stuff(attempt_login, accounts: int, ip: str = ADDRESS) -> None:
    for index in range(accounts):
        attempt_login(f"victim{index}@example.com", "123456", ip=ip)


def test_failures_against_ten_accounts_from_one_address_are_reported(attempt_login):
    stuff(attempt_login, 10)

    assert_same_events(
        recorded(SuspiciousLoginActivity),
        [
            SuspiciousLoginActivity(
                reason="credential_stuffing",
                client_ip=ADDRESS,
                user_id=None,
                accounts=10,
                failures=10,
                window_seconds=600,
            )
        ],
    )
    activity = SuspiciousActivity.objects.get()
    assert (activity.reason, activity.client_ip, activity.accounts) == (
        "credential_stuffing",
        ADDRESS,
        10,
    )


def test_nine_accounts_are_not_reported(attempt_login):
    stuff(attempt_login, 9)
    attempt_login("victim0@example.com", "654321")  # the same account again

    assert recorded(SuspiciousLoginActivity) == []


def test_an_address_is_reported_once_per_window(attempt_login):
    stuff(attempt_login, 15)

    assert len(recorded(SuspiciousLoginActivity)) == 1


def test_failures_from_many_addresses_are_not_stuffing_from_one(attempt_login):
    for index in range(10):
        attempt_login(f"victim{index}@example.com", "123456", ip=f"192.0.2.{index + 1}")

    assert recorded(SuspiciousLoginActivity) == []


def test_failures_older_than_the_window_are_not_evidence(attempt_login):
    stuff(attempt_login, 9)
    LoginAttempt.objects.update(attempted_at=timezone.now() - timedelta(seconds=601))

    attempt_login("victim9@example.com", "123456")

    assert recorded(SuspiciousLoginActivity) == []


@pytest.fixture
def alice_locked_out(attempt_login, alice):
    """alice logged in from home, then an attacker locked her account, and the lock ended."""
    assert attempt_login(ip=HOME).status_code == 200
    for _ in range(5):
        attempt_login(password="wrong", ip=ELSEWHERE)
    AccountLock.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    return alice


def test_a_login_from_a_new_address_right_after_a_lock_is_reported(attempt_login, alice_locked_out):
    assert attempt_login(ip=ELSEWHERE).status_code == 200

    assert_same_events(
        recorded(SuspiciousLoginActivity),
        [
            SuspiciousLoginActivity(
                reason="new_ip_after_lock",
                client_ip=ELSEWHERE,
                user_id=alice_locked_out.pk,
                accounts=1,
                failures=5,
                window_seconds=3600,
            )
        ],
    )
    assert SuspiciousActivity.objects.get().user == alice_locked_out


def test_a_login_from_a_known_address_after_a_lock_is_not_reported(attempt_login, alice_locked_out):
    assert attempt_login(ip=HOME).status_code == 200

    assert recorded(SuspiciousLoginActivity) == []


def test_the_same_new_address_is_reported_once_per_lock(attempt_login, alice_locked_out):
    attempt_login(ip=ELSEWHERE)
    attempt_login(ip=ELSEWHERE)

    assert len(recorded(SuspiciousLoginActivity)) == 1


def test_a_new_address_long_after_a_lock_is_not_reported(attempt_login, alice_locked_out):
    AccountLock.objects.update(locked_until=timezone.now() - timedelta(seconds=3601))

    assert attempt_login(ip=ELSEWHERE).status_code == 200

    assert recorded(SuspiciousLoginActivity) == []


def test_a_new_address_without_any_lock_is_not_reported(attempt_login, alice):
    attempt_login(ip=HOME)
    attempt_login(ip=ELSEWHERE)

    assert recorded(SuspiciousLoginActivity) == []
