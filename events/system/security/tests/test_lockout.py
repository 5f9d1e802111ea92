"""The lockout (docs/security.md, "Lockout"). Failures are counted per email and client
address: five from one address within fifteen minutes lock the email for that address (429
with Retry-After, the right password included) while its owner elsewhere still logs in;
failures from ten distinct addresses lock it for every address, and even then the tokens the
owner holds keep working. An unknown email is answered exactly like a known one. The lock is
decided in the login's own transaction: when it cannot be recorded, the login fails (fail
closed). The lock ends by itself, or when staff unlock it in the admin."""

import math
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from conduit.auth import issue_token
from events.system.security import services
from events.system.security.events import UserAccountLocked, UserAccountUnlocked, UserLoginAttempted
from events.system.security.models import AccountLock, LoginAttempt
from events.system.security.tests.conftest import ADDRESS, recorded
from events.testing import assert_same_events
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = {"errors": {"credentials": ["too many failed attempts, try again later"]}}
INVALID = {"errors": {"credentials": ["invalid"]}}
UNAVAILABLE = {"errors": {"credentials": ["cannot be checked now, try again later"]}}
ELSEWHERE = "198.51.100.20"


def fail(attempt_login, times: int, email: str = "alice@example.com", ip: str = ADDRESS):
    return [attempt_login(email, "wrong", ip=ip).status_code for _ in range(times)]


def test_five_failures_from_one_address_lock_the_email_for_it_and_announce_it(attempt_login, alice):
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
                scope="address",
                addresses=1,
            )
        ],
    )
    assert lock.locked_until - lock.locked_at == timedelta(seconds=900)
    assert (lock.user, lock.email, lock.scope, lock.failures) == (
        alice,
        "alice@example.com",
        "address",
        5,
    )


def test_the_locked_address_is_refused_even_the_right_password(attempt_login, alice):
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


def test_the_owner_from_another_address_is_not_refused(attempt_login, alice):
    fail(attempt_login, 5)

    response = attempt_login(ip=ELSEWHERE)

    assert response.status_code == 200
    assert attempt_login().status_code == 429  # the attacker's address stays locked


def test_four_failures_do_not_lock(attempt_login, alice):
    assert fail(attempt_login, 4) == [401] * 4

    assert attempt_login().status_code == 200
    assert recorded(UserAccountLocked) == []


def test_a_success_from_the_address_starts_its_count_again(attempt_login, alice):
    fail(attempt_login, 4)
    assert attempt_login().status_code == 200
    fail(attempt_login, 4)

    assert not AccountLock.objects.exists()
    fail(attempt_login, 1)
    assert AccountLock.objects.get().failures == 5


def test_a_success_elsewhere_does_not_start_the_attackers_count_again(attempt_login, alice):
    fail(attempt_login, 4)
    assert attempt_login(ip=ELSEWHERE).status_code == 200

    fail(attempt_login, 1)

    assert AccountLock.objects.get().client_ip == ADDRESS


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


def test_an_unknown_email_is_answered_exactly_like_a_known_one(attempt_login, alice):
    known = [attempt_login("alice@example.com", "wrong") for _ in range(6)]
    unknown = [attempt_login("nobody@example.com", "wrong") for _ in range(6)]

    def answer(response):
        return response.status_code, response.json(), "Retry-After" in response

    assert [answer(r) for r in unknown] == [answer(r) for r in known]
    assert answer(unknown[-1]) == (429, LOCKED, True)
    assert answer(unknown[0]) == (401, INVALID, False)
    unknown_lock = AccountLock.objects.get(email="nobody@example.com")
    assert (unknown_lock.user, unknown_lock.scope) == (None, "address")


def test_an_unknown_email_costs_a_password_hash(api_client, alice):
    with mock.patch("users.services.make_password", wraps=make_password) as hashed:
        response = api_client.post(
            "/api/users/login",
            {"user": {"email": "nobody@example.com", "password": "a guess"}},
            format="json",
        )

    assert response.status_code == 401
    hashed.assert_called_once_with("a guess")


def test_failures_from_ten_addresses_lock_the_account_for_every_address(attempt_login, alice):
    addresses = [f"192.0.2.{n}" for n in range(1, 11)]
    for address in addresses[:9]:
        fail(attempt_login, 1, ip=address)
    assert not AccountLock.objects.exists()  # nine addresses: no account-wide lock

    fail(attempt_login, 1, ip=addresses[9])

    lock = AccountLock.objects.get()
    assert (lock.scope, lock.addresses, lock.failures) == ("account", 10, 10)
    assert attempt_login(ip=ELSEWHERE).status_code == 429
    assert recorded(UserAccountLocked)[-1].scope == "account"


def test_an_account_wide_lock_leaves_the_owners_tokens_working(attempt_login, api_client, alice):
    token = issue_token(alice)
    for n in range(1, 11):
        fail(attempt_login, 1, ip=f"192.0.2.{n}")
    assert attempt_login(ip=ELSEWHERE).status_code == 429

    response = api_client.get("/api/user", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200


def test_the_lock_is_decided_in_the_logins_transaction_and_fails_closed(attempt_login, alice):
    fail(attempt_login, 4)

    with mock.patch.object(services, "_lock", side_effect=RuntimeError("the database said no")):
        fifth = attempt_login("alice@example.com", "wrong")
        right_password = attempt_login()

    assert (fifth.status_code, fifth.json()) == (503, UNAVAILABLE)
    assert (right_password.status_code, right_password.json()) == (503, UNAVAILABLE)
    assert "token" not in right_password.content.decode()
    # The fifth failure is kept as evidence: once the lock can be written, it is.
    assert LoginAttempt.objects.filter(outcome="failed").count() == 5
    assert attempt_login().status_code == 429
    assert AccountLock.objects.get().failures == 5


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


ADMIN_LOGIN = "/admin/login/?next=/admin/"


def admin_login(client, password: str, ip: str = ADDRESS):
    return client.post(
        ADMIN_LOGIN,
        {"username": "staff@example.com", "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


@pytest.fixture
def staff_member(db):
    return UserFactory(username="staff", email="staff@example.com", is_staff=True)


def test_the_admins_login_follows_the_same_lockout(client, staff_member, attempt_login):
    for _ in range(5):
        assert admin_login(client, "wrong").status_code == 200  # the form again

    refused = admin_login(client, DEFAULT_PASSWORD)

    assert refused.status_code == 200  # the form again, as for a wrong password
    assert "_auth_user_id" not in client.session
    assert AccountLock.objects.get().email == "staff@example.com"
    assert LoginAttempt.objects.filter(email="staff@example.com", outcome="locked").count() == 1
    # The API answers the same address the same way; another address gets in.
    assert attempt_login("staff@example.com").status_code == 429
    assert admin_login(client, DEFAULT_PASSWORD, ip=ELSEWHERE).status_code == 302
    assert client.session["_auth_user_id"] == str(staff_member.pk)
