"""UserPasswordChanged: PUT /user with a password, or the admin's password form, changes the
password; every token issued before the change is refused (401 `token` `is invalid`) but the
one the change came through (PASSWORD_CHANGE_KEEPS_TOKEN, on by default), the token the change
returns works, the old password is refused."""

import jwt
import pytest
from django.conf import settings

from conduit.auth import issue_token
from events.system.security.events import UserPasswordChanged
from events.system.security.tests.conftest import recorded
from events.testing import assert_same_events
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/user"
INVALID = {"errors": {"token": ["is invalid"]}}


def me(client, token: str):
    return client.get(ME, HTTP_AUTHORIZATION=f"Token {token}")


def change_password(client, token: str, password: str = "a brand new secret", **fields):
    body = {"user": {"password": password, **fields}}
    return client.put(ME, body, format="json", HTTP_AUTHORIZATION=f"Token {token}")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a request's after-commit work (receivers, deliveries) as production would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_new_password_ends_older_tokens_and_the_new_token_works(api_client, alice, committed):
    laptop, phone = issue_token(alice), issue_token(alice)

    with committed():
        response = change_password(api_client, laptop)

    assert response.status_code == 200
    new = response.json()["user"]["token"]
    assert me(api_client, phone).status_code == 401
    assert me(api_client, phone).json() == INVALID
    assert me(api_client, new).status_code == 200
    assert me(api_client, laptop).status_code == 200  # the session that changed it stays
    assert_same_events(recorded(UserPasswordChanged), [UserPasswordChanged(user_id=alice.pk)])


def test_with_the_setting_off_the_token_the_change_came_through_ends_too(
    api_client, alice, settings
):
    settings.PASSWORD_CHANGE_KEEPS_TOKEN = False
    laptop = issue_token(alice)

    new = change_password(api_client, laptop).json()["user"]["token"]

    assert me(api_client, laptop).json() == INVALID
    assert me(api_client, new).status_code == 200


def test_a_token_issued_in_the_same_second_as_the_change_is_told_apart(api_client, alice):
    new = change_password(api_client, issue_token(alice)).json()["user"]["token"]
    claims = jwt.decode(new, settings.JWT_SECRET, algorithms=[settings.JWT_ALGORITHM])
    # Same `iat` second as the new token, but issued before the change: the version before.
    twin = jwt.encode(
        claims | {"ver": 0, "jti": "another token"},
        settings.JWT_SECRET,
        algorithm=settings.JWT_ALGORITHM,
    )

    assert me(api_client, twin).json() == INVALID
    assert me(api_client, new).status_code == 200


def test_a_token_without_the_password_fingerprint_is_refused(api_client, alice):
    """Tokens from before fingerprints could not be ended by a password change made outside
    the service: they are ended once, at the upgrade."""
    claims = jwt.decode(
        issue_token(alice), settings.JWT_SECRET, algorithms=[settings.JWT_ALGORITHM]
    )
    legacy = {name: claims[name] for name in ("sub", "iat", "exp", "ver", "jti")}
    token = jwt.encode(legacy, settings.JWT_SECRET, algorithm=settings.JWT_ALGORITHM)

    assert me(api_client, token).json() == INVALID


def test_the_old_password_is_refused_and_the_new_one_logs_in(api_client, alice):
    change_password(api_client, issue_token(alice), password="a brand new secret")

    def login(password):
        body = {"user": {"email": "alice@example.com", "password": password}}
        return api_client.post("/api/users/login", body, format="json")

    assert login(DEFAULT_PASSWORD).json() == {"errors": {"credentials": ["invalid"]}}
    assert me(api_client, login("a brand new secret").json()["user"]["token"]).status_code == 200


def test_two_changes_through_one_token_both_succeed_as_the_realworld_suite_sends_them(
    api_client, alice
):
    token, other = issue_token(alice), issue_token(alice)

    first = change_password(api_client, token, "exactly8")
    second = change_password(api_client, token, "a" * 64)

    assert (first.status_code, second.status_code) == (200, 200)
    assert me(api_client, first.json()["user"]["token"]).json() == INVALID
    assert me(api_client, second.json()["user"]["token"]).status_code == 200
    assert me(api_client, other).json() == INVALID


def test_a_change_through_another_token_ends_the_one_kept_before(api_client, alice):
    laptop = issue_token(alice)
    phone = change_password(api_client, laptop, "first new secret").json()["user"]["token"]

    change_password(api_client, phone, "second new secret")

    assert me(api_client, laptop).json() == INVALID
    assert me(api_client, phone).status_code == 200


def test_an_old_token_counts_as_none_where_a_token_is_optional(api_client, alice, bob):
    old = issue_token(alice)
    change_password(api_client, issue_token(alice))

    response = api_client.get("/api/profiles/bob", HTTP_AUTHORIZATION=f"Token {old}")

    assert response.status_code == 200
    assert response.json()["profile"]["following"] is False


def test_revocation_is_immediate_with_the_read_cache_on(api_client, alice, settings, committed):
    settings.READ_CACHE_SECONDS = 60
    old = issue_token(alice)
    assert me(api_client, old).status_code == 200  # the token's user is now remembered

    with committed():
        change_password(api_client, issue_token(alice))

    assert me(api_client, old).json() == INVALID


def test_other_changes_keep_every_token(api_client, alice, committed):
    token = issue_token(alice)

    with committed():
        response = api_client.put(
            ME, {"user": {"bio": "new"}}, format="json", HTTP_AUTHORIZATION=f"Token {token}"
        )

    assert response.status_code == 200
    assert me(api_client, token).status_code == 200
    assert recorded(UserPasswordChanged) == []


def test_the_admins_password_form_ends_older_tokens_and_is_announced(
    client, api_client, alice, committed
):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    old = issue_token(alice)

    with committed():
        response = client.post(
            f"/admin/users/user/{alice.pk}/password/",
            {"password1": "set by the staff", "password2": "set by the staff"},
        )

    assert response.status_code == 302
    assert me(api_client, old).json() == INVALID
    assert_same_events(recorded(UserPasswordChanged), [UserPasswordChanged(user_id=alice.pk)])
