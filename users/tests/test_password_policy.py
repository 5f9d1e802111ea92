"""The password policy of NOTES.md (NIST SP 800-63B): 8 to 256 characters, any characters,
at registration, on PUT /user, in the admin and in Django's password commands."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from conduit.errors import Invalid
from users.models import User
from users.services import user_register, user_update
from users.tests.factories import DEFAULT_PASSWORD, UserFactory
from users.validators import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

TOO_SHORT = {"errors": {"password": ["is too short (minimum is 8 characters)"]}}
TOO_LONG = {"errors": {"password": ["is too long (maximum is 256 characters)"]}}
BLANK = {"errors": {"password": ["can't be blank"]}}
# Any 8 characters will do (no composition rules), and passphrases of 64 and more.
ACCEPTED = [
    "12345678",
    "aaaaaaaa",
    "pass word",
    "contraseña",
    "密码密码密码密码",
    "🔑" * 8,
    "x" * 64,
    "x" * 256,
]


def register(client, password):
    user = {"username": "dana", "email": "dana@example.com", "password": password}
    return client.post("/api/users", {"user": user}, format="json")


def update(client, password):
    return client.put("/api/user", {"user": {"password": password}}, format="json")


def login(client, email, password):
    return client.post(
        "/api/users/login", {"user": {"email": email, "password": password}}, format="json"
    )


def test_the_policy_is_8_to_256_characters():
    assert (PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH) == (8, 256)


@pytest.mark.django_db
@pytest.mark.parametrize("password", ACCEPTED)
def test_dana_registers_with_any_password_of_8_to_256_characters(api_client, password):
    response = register(api_client, password)

    assert response.status_code == 201
    assert User.objects.get(username="dana").check_password(password)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "errors"),
    [("1234567", TOO_SHORT), ("🔑" * 7, TOO_SHORT), ("x" * 257, TOO_LONG), ("", BLANK)],
)
def test_registration_refuses_a_password_out_of_bounds(api_client, password, errors):
    response = register(api_client, password)

    assert response.status_code == 422
    assert response.json() == errors
    assert not User.objects.exists()


@pytest.mark.django_db
def test_registration_refuses_a_null_password(api_client):
    response = register(api_client, None)

    assert response.status_code == 422
    assert response.json() == BLANK


@pytest.mark.django_db
@pytest.mark.parametrize("password", ACCEPTED)
def test_alice_changes_her_password_to_any_of_8_to_256_characters(
    api_client, client_for, alice, password
):
    response = update(client_for(alice), password)

    assert response.status_code == 200
    assert login(api_client, "alice@example.com", password).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "errors"),
    [("1234567", TOO_SHORT), ("x" * 257, TOO_LONG), ("", BLANK), (None, BLANK)],
)
def test_alice_cannot_change_her_password_to_one_out_of_bounds(
    api_client, client_for, alice, password, errors
):
    # The public RealWorld v2 suite's check: a 7-character password on PUT /user is a 422.
    response = update(client_for(alice), password)

    assert response.status_code == 422
    assert response.json() == errors
    alice.refresh_from_db()
    assert alice.check_password(DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_an_older_short_password_still_logs_in(api_client):
    # The policy applies to new passwords; a login only compares.
    UserFactory(username="erin", email="erin@example.com", password="short")

    response = login(api_client, "erin@example.com", "short")

    assert response.status_code == 200


@pytest.mark.django_db
def test_the_services_apply_the_policy_whoever_calls_them(alice):
    with pytest.raises(Invalid) as registering:
        user_register(username="dana", email="dana@example.com", password="1234567")
    with pytest.raises(Invalid) as updating:
        user_update(user=alice, password="1234567")

    assert registering.value.errors == {"password": ["is too short (minimum is 8 characters)"]}
    assert updating.value.errors == {"password": ["is too short (minimum is 8 characters)"]}


def test_djangos_password_validation_applies_the_same_policy():
    validate_password("12345678")
    with pytest.raises(ValidationError) as short:
        validate_password("1234567")

    assert short.value.messages == ["This password is too short (minimum is 8 characters)."]


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def add_in_admin(staff_client, password):
    return staff_client.post(
        "/admin/users/user/add/",
        {
            "email": "dana@example.com",
            "username": "dana",
            "password1": password,
            "password2": password,
        },
    )


@pytest.mark.django_db
def test_the_admin_add_form_refuses_a_7_character_password(staff_client):
    response = add_in_admin(staff_client, "1234567")

    assert response.status_code == 200  # the form again, with its error
    assert b"This password is too short (minimum is 8 characters)." in response.content
    assert not User.objects.filter(username="dana").exists()


@pytest.mark.django_db
def test_the_admin_add_form_accepts_an_8_character_password(staff_client):
    response = add_in_admin(staff_client, "12345678")

    assert response.status_code == 302, response.content
    assert User.objects.get(username="dana").check_password("12345678")


@pytest.mark.django_db
def test_the_admin_password_form_refuses_a_7_character_password(staff_client, alice):
    response = staff_client.post(
        f"/admin/users/user/{alice.pk}/password/",
        {"password1": "1234567", "password2": "1234567"},
    )

    assert response.status_code == 200  # the form again, with its error
    assert b"This password is too short (minimum is 8 characters)." in response.content
    alice.refresh_from_db()
    assert alice.check_password(DEFAULT_PASSWORD)
