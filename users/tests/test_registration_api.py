import pytest

from events.models import EventRecord
from users.events import UserRegistered
from users.models import User

REGISTER = "/api/users"


def register(client, **fields):
    user = {"username": "alice", "email": "alice@example.com", "password": "s3cret pass"}
    return client.post(REGISTER, {"user": user | fields}, format="json")


@pytest.mark.django_db
def test_alice_registers_and_gets_her_user_with_a_token(api_client):
    response = register(api_client)

    assert response.status_code == 201
    body = response.json()["user"]
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["bio"] is None
    assert body["image"] is None
    assert set(body) == {"email", "token", "username", "bio", "image"}
    me = api_client.get("/api/user", HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "alice"


@pytest.mark.django_db
def test_registration_stores_a_hashed_password_and_a_lower_cased_email(api_client):
    register(api_client, email="  Alice@Example.COM ")

    alice = User.objects.get(username="alice")
    assert alice.email == "alice@example.com"
    assert alice.password != "s3cret pass"
    assert alice.check_password("s3cret pass")


@pytest.mark.django_db
def test_registration_publishes_user_registered(api_client, mock_event_bus):
    register(api_client)

    alice = User.objects.get(username="alice")
    mock_event_bus.assert_event_published(
        UserRegistered, user_id=alice.pk, username="alice", email="alice@example.com"
    )
    assert mock_event_bus.call_count == 1


@pytest.mark.django_db
def test_registration_is_in_the_audit_trail_after_commit(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client)

    alice = User.objects.get(username="alice")
    record = EventRecord.objects.get(type="users.UserRegistered")
    assert record.payload == {
        "user_id": alice.pk,
        "username": "alice",
        "email": "alice@example.com",
    }
    assert record.aggregate_type == "user"
    assert record.aggregate_id == str(alice.pk)
    assert "s3cret" not in str(record.payload)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["username", "email", "password"])
@pytest.mark.parametrize("value", ["", "   "])
def test_registration_refuses_an_empty_or_blank_field(api_client, mock_event_bus, field, value):
    response = register(api_client, **{field: value})

    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}
    assert not User.objects.exists()
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_registration_refuses_a_missing_field(api_client, mock_event_bus, field):
    user = {"username": "alice", "email": "alice@example.com", "password": "s3cret pass"}
    del user[field]

    response = api_client.post(REGISTER, {"user": user}, format="json")

    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_registration_names_every_missing_field_at_once(api_client):
    response = api_client.post(REGISTER, {"user": {}}, format="json")

    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "username": ["can't be blank"],
            "email": ["can't be blank"],
            "password": ["can't be blank"],
        }
    }


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_registration_refuses_null(api_client, field):
    response = register(api_client, **{field: None})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["username", "email", "password"])
@pytest.mark.parametrize("value", [42, True, ["alice"], {"name": "alice"}])
def test_registration_refuses_a_value_that_is_not_a_string(api_client, field, value):
    response = register(api_client, **{field: value})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["alice", "alice@", "@example.com", "alice example@x.com"])
def test_registration_refuses_an_invalid_email(api_client, email):
    response = register(api_client, email=email)

    assert response.status_code == 422
    assert response.json() == {"errors": {"email": ["is invalid"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["al/ice", "al ice", "alice?", "..", "a" * 151, "al%2Fice"])
def test_registration_refuses_an_unusable_username(api_client, username):
    response = register(api_client, username=username)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["username"]
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["alice.smith", "alice_smith", "alice-1", "Ålice", "a" * 150])
def test_registration_accepts_letters_digits_dots_underscores_and_dashes(api_client, username):
    assert register(api_client, username=username).status_code == 201


@pytest.mark.django_db
def test_bob_cannot_register_with_alices_username(api_client, alice, mock_event_bus):
    response = register(api_client, username="alice", email="bob@example.com")

    assert response.status_code == 409
    assert response.json() == {"errors": {"username": ["has already been taken"]}}
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_bob_cannot_register_alices_username_in_full_width_letters(api_client, alice):
    response = register(
        api_client,
        username="\uff41\uff4c\uff49\uff43\uff45",  # full-width "alice"
        email="bob@example.com",
    )

    assert response.status_code == 409
    assert response.json() == {"errors": {"username": ["has already been taken"]}}


@pytest.mark.django_db
def test_bob_cannot_register_with_alices_email(api_client, alice, mock_event_bus):
    response = register(api_client, username="bob", email="alice@example.com")

    assert response.status_code == 409
    assert response.json() == {"errors": {"email": ["has already been taken"]}}
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_bob_cannot_register_with_alices_email_in_other_letter_case(api_client, alice):
    response = register(api_client, username="bob", email="ALICE@Example.com")

    assert response.status_code == 409
    assert response.json() == {"errors": {"email": ["has already been taken"]}}
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_registration_needs_the_user_envelope(api_client):
    response = api_client.post(
        REGISTER,
        {"username": "alice", "email": "alice@example.com", "password": "s3cret pass"},
        format="json",
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['{"user": ', "user=alice", '["user"]', '{"user": "alice"}'])
def test_registration_refuses_a_body_that_is_not_a_json_object(api_client, body):
    response = api_client.post(REGISTER, body, content_type="application/json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_an_extra_field_cannot_make_a_registration_staff(api_client):
    register(api_client, is_staff=True, is_superuser=True, bio="hi")

    alice = User.objects.get(username="alice")
    assert not alice.is_staff
    assert not alice.is_superuser
    assert alice.bio is None


@pytest.mark.django_db
def test_a_stale_token_left_in_the_browser_does_not_stop_alice_registering(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token expired.or.tampered")

    response = register(api_client)

    assert response.status_code == 201
    assert User.objects.filter(username="alice").exists()
