"""UserAccountLocked: five failed logins for one account within fifteen minutes lock it; while
locked, login answers 429 with Retry-After, the right password included; the lock ends by
itself, or when staff unlock it in the admin."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from events.system.security.events import UserAccountLocked, UserAccountUnlocked, UserLoginAttempted
from events.system.security.models import AccountLock, LoginAttempt
from events.system.security.tests.conftest import ADDRESS, recorded
from events.testing import assert_same_events
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCKED = {"errors": {"credentials": ["too many failed attempts, try again later"]}}


def fail(attempt_login, times: int, email: str = "alice@example.com") -> list[int]:
    return [attempt_login(email, "wrong").status_code for _ in range(times)]


def test_five_failures_lock_the_account_and_announce_it(attempt_login, alice):
    assert fail(attempt_login, 5) == [401] * 5

    lock = AccountLock.objects.get()
    assert_same_events(
        recorded(UserAccountLocked),
        [
            UserAccountLocked(
                user_id=alice.pk,
                locked_until=lock.locked_until,
                failures=5,
                window_seconds=900,
                client_ip=ADDRESS,
            )
        ],
    )
    assert lock.locked_until - lock.locked_at == timedelta(seconds=900)
    assert (lock.user, lock.failures, lock.unlocked_at) == (alice, 5, None)


def test_a_locked_account_refuses_even_the_right_password(attempt_login, alice):
    fail(attempt_login, 5)
    lock = AccountLock.objects.get()

    response = attempt_login()

    assert response.status_code == 429
    assert response.json() == LOCKED
    remaining = (lock.locked_until - timezone.now()).total_seconds()
    assert int(response["Retry-After"]) in {math.ceil(remaining), math.ceil(remaining) + 1}
    assert 890 <= int(response["Retry-After"]) <= 900
    assert [event.outcome for event in recorded(UserLoginAttempted)][-1] == "locked"
    assert LoginAttempt.objects.filter(outcome="locked").count() == 1


def test_four_failures_do_not_lock(attempt_login, alice):
    assert fail(attempt_login, 4) == [401] * 4

    assert attempt_login().status_code == 200
    assert recorded(UserAccountLocked) == []


def test_a_success_starts_the_count_again(attempt_login, alice):
    fail(attempt_login, 4)
    assert attempt_login().status_code == 200
    fail(attempt_login, 4)

    assert not AccountLock.objects.exists()
    fail(attempt_login, 1)
    assert AccountLock.objects.get().failures == 5


def test_failures_older_than_the_window_do_not_count(attempt_login, alice):
    fail(attempt_login, 4)
    LoginAttempt.objects.update(attempted_at=timezone.now() - timedelta(seconds=901))

    fail(attempt_login, 1)

    assert not AccountLock.objects.exists()
    assert attempt_login().status_code == 200


def test_failures_against_other_accounts_do_not_lock_alice(attempt_login, alice, bob):
    fail(attempt_login, 3)
    fail(attempt_login, 3, email="bob@example.com")
    fail(attempt_login, 3, email="nobody@example.com")

    assert not AccountLock.objects.exists()


def test_a_lock_ends_by_itself(attempt_login, alice):
    fail(attempt_login, 5)
    assert attempt_login().status_code == 429

    AccountLock.objects.update(locked_until=timezone.now() - timedelta(seconds=1))

    assert attempt_login().status_code == 200


def test_the_failures_that_locked_it_do_not_lock_it_again_after_it_ends(attempt_login, alice):
    fail(attempt_login, 5)
    # Ended while its failures are still inside the window (a lock shorter than the window).
    AccountLock.objects.update(locked_until=timezone.now() - timedelta(seconds=1))

    assert fail(attempt_login, 4) == [401] * 4
    assert AccountLock.objects.count() == 1
    assert fail(attempt_login, 1) == [401]
    assert AccountLock.objects.count() == 2
    assert attempt_login().status_code == 429


@pytest.fixture
def staff_client(client):
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.staff = staff
    return client


def test_staff_unlock_an_account_in_the_admin_and_it_is_announced(
    attempt_login, alice, staff_client, django_capture_on_commit_callbacks
):
    fail(attempt_login, 5)
    lock = AccountLock.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/security/accountlock/",
            {"action": "unlock", "_selected_action": [lock.pk]},
        )

    assert response.status_code == 302
    assert_same_events(
        recorded(UserAccountUnlocked),
        [
            UserAccountUnlocked(
                user_id=alice.pk,
                unlocked_by_id=staff_client.staff.pk,
                locked_until=lock.locked_until,
            )
        ],
    )
    lock.refresh_from_db()
    assert lock.unlocked_by == staff_client.staff
    assert lock.unlocked_at is not None
    assert attempt_login().status_code == 200


def test_unlocking_a_lock_that_has_ended_changes_nothing(
    attempt_login, alice, staff_client, django_capture_on_commit_callbacks
):
    fail(attempt_login, 5)
    AccountLock.objects.update(locked_until=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/security/accountlock/",
            {"action": "unlock", "_selected_action": [AccountLock.objects.get().pk]},
        )

    assert recorded(UserAccountUnlocked) == []
    assert AccountLock.objects.get().unlocked_by is None
