from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.conf import settings

from conduit.auth import issue_token


def get_me(client, authorization):
    return client.get("/api/user", HTTP_AUTHORIZATION=authorization)


@pytest.mark.django_db
def test_the_current_user_needs_a_token(api_client):
    response = api_client.get("/api/user")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}


@pytest.mark.django_db
def test_alice_may_send_her_token_as_a_bearer_token(api_client, alice):
    response = get_me(api_client, f"Bearer {issue_token(alice)}")

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "alice"


@pytest.mark.django_db
def test_a_token_that_is_no_jwt_is_invalid(api_client, alice):
    response = get_me(api_client, "Token not-a-jwt")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is invalid"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Token", "Basic abc", "Token a b", "Tokenabc"])
def test_a_malformed_authorization_header_is_invalid(api_client, alice, header):
    response = get_me(api_client, header)

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is invalid"]}}


@pytest.mark.django_db
def test_an_expired_token_is_invalid(api_client, alice):
    past = datetime.now(UTC) - timedelta(days=2)
    token = jwt.encode(
        {"sub": str(alice.pk), "iat": past, "exp": past + timedelta(days=1)},
        settings.JWT_SECRET,
        algorithm=settings.JWT_ALGORITHM,
    )

    response = get_me(api_client, f"Token {token}")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is invalid"]}}


@pytest.mark.django_db
def test_mallory_cannot_turn_her_token_into_alices(api_client, alice, bob):
    header, _, signature = issue_token(bob).split(".")
    forged_claims = jwt.utils.base64url_encode(
        f'{{"sub": "{alice.pk}", "exp": 4102444800}}'.encode()
    ).decode()

    response = get_me(api_client, f"Token {header}.{forged_claims}.{signature}")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is invalid"]}}


@pytest.mark.django_db
def test_a_token_signed_with_another_secret_is_invalid(api_client, alice):
    token = jwt.encode(
        {"sub": str(alice.pk), "exp": datetime.now(UTC) + timedelta(hours=1)},
        "someone else's secret, long enough for HS256 key checks",
        algorithm="HS256",
    )

    assert get_me(api_client, f"Token {token}").status_code == 401


@pytest.mark.django_db
def test_a_deactivated_users_token_stops_working(api_client, alice):
    token = issue_token(alice)
    alice.is_active = False
    alice.save()

    response = get_me(api_client, f"Token {token}")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is invalid"]}}


@pytest.mark.django_db
def test_an_invalid_token_counts_as_no_token_where_auth_is_optional(api_client, alice):
    # The whole table of optional and required endpoints is conduit/tests/test_optional_auth.py.
    response = api_client.get("/api/profiles/alice", HTTP_AUTHORIZATION="Token garbage")

    assert response.status_code == 200
    assert response.json()["profile"]["following"] is False


@pytest.mark.django_db
def test_a_token_that_worked_stops_working_when_it_expires(api_client, alice, monkeypatch):
    # Verified tokens are remembered (conduit.auth): the expiry is still checked on each use.
    now = datetime.now(UTC)
    claims = jwt.decode(
        issue_token(alice), settings.JWT_SECRET, algorithms=[settings.JWT_ALGORITHM]
    )
    token = jwt.encode(
        claims | {"iat": now, "exp": now + timedelta(minutes=5)},
        settings.JWT_SECRET,
        algorithm=settings.JWT_ALGORITHM,
    )
    assert get_me(api_client, f"Token {token}").status_code == 200

    later = now + timedelta(minutes=5, seconds=1)

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return later

    # Both clocks: the remembered token's and PyJWT's, should the token be checked again.
    monkeypatch.setattr("conduit.auth.time.time", later.timestamp)
    monkeypatch.setattr("jwt.api_jwt.datetime", Later)
    response = get_me(api_client, f"Token {token}")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is invalid"]}}


@pytest.mark.django_db
def test_a_token_that_worked_stops_working_when_the_secret_changes(api_client, alice, settings):
    token = issue_token(alice)
    assert get_me(api_client, f"Token {token}").status_code == 200

    settings.JWT_SECRET = "a-new-secret-after-a-leak-0123456789abcdef"
    response = get_me(api_client, f"Token {token}")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is invalid"]}}
