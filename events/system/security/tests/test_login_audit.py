"""UserLoginAttempted: every credential check of POST /users/login is recorded and announced,
with the email tried, the account if any, the outcome, the client's address and agent."""

import pytest

from events.models import EventRecord
from events.system.security.events import UserLoginAttempted
from events.system.security.models import LoginAttempt
from events.system.security.tests.conftest import ADDRESS, AGENT, LOGIN, recorded
from events.testing import assert_same_events
from users.events import UserLoggedIn
from users.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def post_login(client, email, password, **extra):
    body = {"user": {"email": email, "password": password}}
    return client.post(LOGIN, body, format="json", **extra)


def attempted(email: str, user_id: int | None, outcome: str, ip: str = ADDRESS):
    return UserLoginAttempted(
        email=email,
        user_id=user_id,
        succeeded=outcome == "succeeded",
        outcome=outcome,
        client_ip=ip,
        user_agent=AGENT,
    )


def test_a_successful_login_is_announced_with_its_address_and_agent(
    api_client, alice, mock_event_bus
):
    response = post_login(
        api_client,
        "Alice@Example.com",
        DEFAULT_PASSWORD,
        REMOTE_ADDR=ADDRESS,
        HTTP_USER_AGENT=AGENT,
    )

    assert response.status_code == 200
    mock_event_bus.assert_published_exactly(
        [
            UserLoggedIn(user_id=alice.pk, username="alice"),
            attempted("alice@example.com", alice.pk, "succeeded"),
        ]
    )
    attempt = LoginAttempt.objects.get()
    assert (attempt.email, attempt.user, attempt.outcome) == (
        "alice@example.com",
        alice,
        "succeeded",
    )
    assert (attempt.client_ip, attempt.user_agent) == (ADDRESS, AGENT)


def test_a_wrong_password_is_announced_as_a_failure_of_alices_account(
    api_client, alice, mock_event_bus
):
    response = post_login(
        api_client, "alice@example.com", "wrong", REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT
    )

    assert response.status_code == 401
    assert response.json() == {"errors": {"credentials": ["invalid"]}}
    mock_event_bus.assert_published_exactly([attempted("alice@example.com", alice.pk, "failed")])


def test_an_unknown_email_is_announced_without_an_account(api_client, alice, mock_event_bus):
    response = post_login(
        api_client, "mallory@example.com", "guess", REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT
    )

    assert response.status_code == 401
    mock_event_bus.assert_published_exactly([attempted("mallory@example.com", None, "failed")])
    assert LoginAttempt.objects.get().user is None


def test_a_deactivated_account_with_its_right_password_is_a_failure(
    api_client, alice, mock_event_bus
):
    alice.is_active = False
    alice.save()

    response = post_login(
        api_client,
        "alice@example.com",
        DEFAULT_PASSWORD,
        REMOTE_ADDR=ADDRESS,
        HTTP_USER_AGENT=AGENT,
    )

    assert response.status_code == 401
    mock_event_bus.assert_published_exactly([attempted("alice@example.com", alice.pk, "failed")])


def test_a_request_that_is_not_a_credential_check_is_not_an_attempt(api_client, mock_event_bus):
    response = post_login(api_client, "", "password123")

    assert response.status_code == 422
    mock_event_bus.assert_nothing_published()
    assert not LoginAttempt.objects.exists()


def test_the_attempt_is_in_the_audit_trail_filed_under_the_account_if_any(attempt_login, alice):
    attempt_login(password="wrong")
    attempt_login("mallory@example.com", "guess")

    assert_same_events(
        recorded(UserLoginAttempted),
        [
            attempted("alice@example.com", alice.pk, "failed"),
            attempted("mallory@example.com", None, "failed"),
        ],
    )
    filed = EventRecord.objects.filter(type="events.UserLoginAttempted").order_by("occurred_at")
    assert [(r.aggregate_type, r.aggregate_id) for r in filed] == [
        ("user", str(alice.pk)),
        ("user", ""),
    ]


def test_a_forwarded_address_is_ignored_unless_a_proxy_is_declared(
    api_client, alice, mock_event_bus, settings
):
    forged = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 192.0.2.9"}

    post_login(api_client, "alice@example.com", "wrong", **forged)
    settings.NUM_PROXIES = 1
    post_login(api_client, "alice@example.com", "wrong", **forged)

    addresses = [event.client_ip for event in mock_event_bus.events_of(UserLoginAttempted)]
    assert addresses == ["10.0.0.2", "192.0.2.9"]
