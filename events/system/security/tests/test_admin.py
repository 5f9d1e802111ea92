"""The security records in the admin: login attempts (filter by outcome, address and date,
search by email), locks (active and past), suspicious activity and rate-limit events; each
changelist costs the same number of queries at 10 rows as at 100."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.system.security.models import (
    AccountLock,
    LoginAttempt,
    RateLimitHit,
    SuspiciousActivity,
)
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = {
    "loginattempt": LoginAttempt,
    "accountlock": AccountLock,
    "suspiciousactivity": SuspiciousActivity,
    "ratelimithit": RateLimitHit,
}


@pytest.fixture
def staff_client(client):
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.staff = staff
    return client


def make_rows(model: type, count: int, start: int = 0) -> None:
    """`count` rows of `model`, each with its own account (so a changelist that loaded
    accounts one by one would show it)."""
    now = timezone.now()
    for index in range(start, start + count):
        user = UserFactory(username=f"person{index}")
        ip = f"10.0.{index // 250}.{index % 250}"
        if model is LoginAttempt:
            LoginAttempt.objects.create(
                email=user.email, user=user, outcome="failed", client_ip=ip, user_agent="ua"
            )
        elif model is AccountLock:
            AccountLock.objects.create(
                user=user,
                locked_until=now + timedelta(minutes=15),
                failures=5,
                client_ip=ip,
                unlocked_by=user,
            )
        elif model is SuspiciousActivity:
            SuspiciousActivity.objects.create(
                reason="new_ip_after_lock",
                client_ip=ip,
                user=user,
                accounts=1,
                failures=5,
                window_seconds=3600,
            )
        else:
            RateLimitHit.objects.create(
                minute=now.replace(second=0, microsecond=0) - timedelta(minutes=index),
                scope="writes",
                client=f"user:{user.pk}",
                client_ip=ip,
                user=user,
                path="/api/articles",
                rate="120/minute",
            )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("name", CHANGELISTS)
def test_a_changelist_costs_the_same_at_10_rows_as_at_100(staff_client, name):
    url = f"/admin/security/{name}/"
    make_rows(CHANGELISTS[name], 10)
    at_10 = queries_for(staff_client, url)

    make_rows(CHANGELISTS[name], 90, start=10)
    at_100 = queries_for(staff_client, url)

    assert at_10 == at_100
    assert CHANGELISTS[name].objects.count() == 100


def attempt(email: str, outcome: str, ip: str, days_ago: int = 0) -> LoginAttempt:
    return LoginAttempt.objects.create(
        email=email,
        outcome=outcome,
        client_ip=ip,
        attempted_at=timezone.now() - timedelta(days=days_ago),
    )


def listed_emails(response) -> set[str]:
    return {row.email for row in response.context["cl"].result_list}


def test_login_attempts_filter_by_outcome_address_and_date_and_search_by_email(staff_client):
    attempt("alice@example.com", "succeeded", "192.0.2.1")
    attempt("mallory@example.com", "failed", "198.51.100.9")
    attempt("old@example.com", "failed", "198.51.100.9", days_ago=40)
    url = "/admin/security/loginattempt/"

    assert listed_emails(staff_client.get(url, {"outcome__exact": "failed"})) == {
        "mallory@example.com",
        "old@example.com",
    }
    by_ip = staff_client.get(url, {"client_ip": "198.51.100.9"})
    assert listed_emails(by_ip) == {"mallory@example.com", "old@example.com"}
    assert b"198.51.100.9 (1)" in by_ip.content  # the busiest addresses of the last day
    last_week = staff_client.get(url, {"attempted_at__gte": timezone.now() - timedelta(days=7)})
    assert listed_emails(last_week) == {"alice@example.com", "mallory@example.com"}
    assert listed_emails(staff_client.get(url, {"q": "mallory"})) == {"mallory@example.com"}


def test_locks_are_listed_as_active_or_past(staff_client, alice, bob):
    now = timezone.now()
    AccountLock.objects.create(
        user=alice, locked_until=now + timedelta(minutes=5), failures=5, client_ip="192.0.2.1"
    )
    AccountLock.objects.create(
        user=bob, locked_until=now - timedelta(minutes=5), failures=5, client_ip="192.0.2.1"
    )

    def users(state: str) -> set[str]:
        response = staff_client.get("/admin/security/accountlock/", {"state": state})
        return {lock.user.username for lock in response.context["cl"].result_list}

    assert users("active") == {"alice"}
    assert users("past") == {"bob"}


def test_staff_without_the_change_permission_cannot_unlock(client, alice):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_accountlock"))
    client.force_login(viewer)

    response = client.get("/admin/security/accountlock/")

    assert response.status_code == 200
    assert "unlock" not in response.context["cl"].model_admin.get_actions(response.wsgi_request)
