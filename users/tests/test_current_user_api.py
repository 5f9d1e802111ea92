import pytest

from events.models import EventRecord
from users.events import UserProfileUpdated
from users.models import User
from users.tests.factories import DEFAULT_PASSWORD

ME = "/api/user"


def update(client, **fields):
    return client.put(ME, {"user": fields}, format="json")


def login(client, email, password):
    return client.post(
        "/api/users/login", {"user": {"email": email, "password": password}}, format="json"
    )


@pytest.mark.django_db
def test_alice_gets_her_own_user_with_a_fresh_token(client_for, alice):
    response = client_for(alice).get(ME)

    assert response.status_code == 200
    assert response.json()["user"] | {"token": "-"} == {
        "email": "alice@example.com",
        "token": "-",
        "username": "alice",
        "bio": None,
        "image": None,
    }
    assert response.json()["user"]["token"]


@pytest.mark.django_db
def test_getting_the_current_user_costs_one_query(client_for, alice, django_assert_num_queries):
    client = client_for(alice)

    with django_assert_num_queries(1):  # the token's user
        client.get(ME)


@pytest.mark.django_db
def test_alice_updates_her_bio_and_image(client_for, alice, mock_event_bus):
    response = update(
        client_for(alice), bio="I like to skateboard", image="https://i.example/a.jpg"
    )

    assert response.status_code == 200
    body = response.json()["user"]
    assert body["bio"] == "I like to skateboard"
    assert body["image"] == "https://i.example/a.jpg"
    assert body["token"]
    mock_event_bus.assert_event_published(
        UserProfileUpdated, user_id=alice.pk, changed_fields=("bio", "image")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["bio", "image"])
@pytest.mark.parametrize("value", ["", "   ", None])
def test_an_empty_bio_or_image_is_stored_and_returned_as_null(client_for, field, value):
    alice = User.objects.create_user("alice@example.com", "alice", DEFAULT_PASSWORD)
    alice.bio, alice.image = "old bio", "https://i.example/old.jpg"
    alice.save()

    response = update(client_for(alice), **{field: value})

    assert response.status_code == 200
    assert response.json()["user"][field] is None
    alice.refresh_from_db()
    assert getattr(alice, field) is None


@pytest.mark.django_db
def test_an_update_that_changes_nothing_publishes_nothing(client_for, alice, mock_event_bus):
    response = update(client_for(alice), username="alice", email="ALICE@example.com", bio="")

    assert response.status_code == 200
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_an_empty_update_is_a_harmless_no_op(client_for, alice, mock_event_bus):
    response = update(client_for(alice))

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "alice"
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_alices_token_keeps_working_after_she_changes_username_and_email(
    api_client, client_for, alice
):
    client = client_for(alice)

    response = update(client, username="alice2", email="alice2@example.com")

    assert response.status_code == 200
    assert client.get(ME).json()["user"]["username"] == "alice2"
    new_token = response.json()["user"]["token"]
    me = api_client.get(ME, HTTP_AUTHORIZATION=f"Token {new_token}")
    assert me.json()["user"]["email"] == "alice2@example.com"
    assert api_client.get("/api/profiles/alice").status_code == 404
    assert api_client.get("/api/profiles/alice2").status_code == 200


@pytest.mark.django_db
def test_alices_old_password_stops_working_after_she_changes_it(api_client, client_for, alice):
    response = update(client_for(alice), password="a new secret")

    assert response.status_code == 200
    assert login(api_client, "alice@example.com", DEFAULT_PASSWORD).status_code == 401
    assert login(api_client, "alice@example.com", "a new secret").status_code == 200


@pytest.mark.django_db
def test_a_password_change_is_published_by_name_never_by_value(
    client_for, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        update(client_for(alice), password="a new secret", bio="hello")

    record = EventRecord.objects.get(type="users.UserProfileUpdated")
    assert record.payload == {"user_id": alice.pk, "changed_fields": ["bio", "password"]}
    assert "a new secret" not in str(record.payload)
    assert record.actor_id == alice.pk


@pytest.mark.django_db
def test_an_email_change_is_stored_lower_cased(client_for, alice):
    response = update(client_for(alice), email="New.Alice@Example.com")

    assert response.json()["user"]["email"] == "new.alice@example.com"


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["email", "username", "password"])
@pytest.mark.parametrize("value", ["", "  ", None])
def test_alice_cannot_blank_her_email_username_or_password(
    client_for, alice, mock_event_bus, field, value
):
    response = update(client_for(alice), **{field: value})

    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}
    alice.refresh_from_db()
    assert alice.username == "alice"
    assert alice.email == "alice@example.com"
    assert alice.check_password(DEFAULT_PASSWORD)
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("username", "a/b"),
        ("image", "javascript:alert(1)"),
        ("image", "not a url"),
    ],
)
def test_alice_cannot_set_an_invalid_value(client_for, alice, field, value):
    response = update(client_for(alice), **{field: value})

    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["is invalid"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["email", "username", "password", "bio", "image"])
def test_an_update_refuses_a_value_that_is_not_a_string(client_for, alice, field):
    response = update(client_for(alice), **{field: 42})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


@pytest.mark.django_db
def test_alice_cannot_take_bobs_username(client_for, alice, bob, mock_event_bus):
    response = update(client_for(alice), username="bob")

    assert response.status_code == 409
    assert response.json() == {"errors": {"username": ["has already been taken"]}}
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_alice_cannot_take_bobs_email_in_any_letter_case(client_for, alice, bob):
    response = update(client_for(alice), email="Bob@Example.com")

    assert response.status_code == 409
    assert response.json() == {"errors": {"email": ["has already been taken"]}}
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


@pytest.mark.django_db
def test_a_refused_update_changes_none_of_the_fields(client_for, alice, bob):
    response = update(client_for(alice), bio="new bio", username="bob")

    assert response.status_code == 409
    alice.refresh_from_db()
    assert alice.bio is None


@pytest.mark.django_db
def test_updating_needs_a_token(api_client, alice, mock_event_bus):
    response = update(api_client, bio="hacked")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_updating_needs_the_user_envelope(client_for, alice):
    response = client_for(alice).put(ME, {"bio": "unwrapped"}, format="json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.django_db
def test_updating_refuses_a_body_that_is_not_json(client_for, alice):
    response = client_for(alice).put(ME, "{not json", content_type="application/json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.django_db
def test_the_current_user_endpoint_refuses_other_methods(client_for, alice):
    response = client_for(alice).patch(ME, {"user": {"bio": "x"}}, format="json")

    assert response.status_code == 405
    assert "errors" in response.json()
    assert response["Allow"] == "GET, PUT, HEAD, OPTIONS"
