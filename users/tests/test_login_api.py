import pytest

from events.models import EventRecord
from users.events import UserLoggedIn
from users.tests.factories import DEFAULT_PASSWORD

LOGIN = "/api/users/login"


def login(client, email="alice@example.com", password=DEFAULT_PASSWORD):
    return client.post(LOGIN, {"user": {"email": email, "password": password}}, format="json")


@pytest.mark.django_db
def test_alice_logs_in_with_her_email_and_password(api_client, alice):
    response = login(api_client)

    assert response.status_code == 200
    body = response.json()["user"]
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["token"]
    me = api_client.get("/api/user", HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.json()["user"]["username"] == "alice"


@pytest.mark.django_db
def test_alice_logs_in_whatever_the_letter_case_of_her_email(api_client, alice):
    assert login(api_client, email=" ALICE@example.com").status_code == 200


@pytest.mark.django_db
def test_login_publishes_user_logged_in_and_stamps_last_login(api_client, alice, mock_event_bus):
    login(api_client)

    mock_event_bus.assert_event_published(UserLoggedIn, user_id=alice.pk, username="alice")
    alice.refresh_from_db()
    assert alice.last_login is not None


@pytest.mark.django_db
def test_login_is_in_the_audit_trail(api_client, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        login(api_client)

    record = EventRecord.objects.get(type="users.UserLoggedIn")
    assert record.payload == {"user_id": alice.pk, "username": "alice"}
    assert DEFAULT_PASSWORD not in str(record.payload)


@pytest.mark.django_db
def test_alice_cannot_log_in_with_a_wrong_password(api_client, alice, mock_event_bus):
    response = login(api_client, password="wrong")

    assert response.status_code == 401
    assert response.json() == {"errors": {"credentials": ["invalid"]}}
    assert mock_event_bus.events_of(UserLoggedIn) == []  # the attempt: security/tests/


@pytest.mark.django_db
def test_nobody_logs_in_with_an_unknown_email(api_client, alice, mock_event_bus):
    response = login(api_client, email="mallory@example.com")

    assert response.status_code == 401
    assert response.json() == {"errors": {"credentials": ["invalid"]}}
    assert mock_event_bus.events_of(UserLoggedIn) == []


@pytest.mark.django_db
def test_a_deactivated_alice_cannot_log_in(api_client, alice):
    alice.is_active = False
    alice.save()

    response = login(api_client)

    assert response.status_code == 401
    assert response.json() == {"errors": {"credentials": ["invalid"]}}


@pytest.mark.django_db
def test_the_password_is_compared_exactly(api_client, alice):
    assert login(api_client, password=f" {DEFAULT_PASSWORD} ").status_code == 401
    assert login(api_client, password=DEFAULT_PASSWORD.upper()).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["email", "password"])
@pytest.mark.parametrize("value", ["", "  ", None])
def test_login_refuses_an_empty_blank_or_null_field(api_client, alice, field, value):
    response = login(api_client, **{field: value})

    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["email", "password"])
def test_login_refuses_a_missing_field(api_client, alice, field):
    user = {"email": "alice@example.com", "password": DEFAULT_PASSWORD}
    del user[field]

    response = api_client.post(LOGIN, {"user": user}, format="json")

    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}


@pytest.mark.django_db
def test_login_refuses_a_number_for_a_password(api_client, alice):
    response = login(api_client, password=12345678)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["password"]


@pytest.mark.django_db
def test_login_needs_the_user_envelope(api_client, alice):
    response = api_client.post(
        LOGIN, {"email": "alice@example.com", "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.django_db
def test_login_refuses_a_body_that_is_not_json(api_client, alice):
    response = api_client.post(LOGIN, "email=alice", content_type="application/json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.django_db
def test_a_stale_token_left_in_the_browser_does_not_stop_alice_logging_in(api_client, alice):
    api_client.credentials(HTTP_AUTHORIZATION="Token expired.or.tampered")

    response = login(api_client)

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "alice"
