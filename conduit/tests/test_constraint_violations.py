"""A database constraint that refuses a write no service absorbed (a race) is answered in the
RealWorld errors shape, 409 for a uniqueness conflict and 422 otherwise, and told as
DatabaseConstraintViolation: the constraint's and the table's names, never the row's values."""

import json

import pytest
from django.db import IntegrityError, transaction

from conduit.constraints import ConstraintViolation, _from_sqlite_message, constraint_violation
from events.models import EventRecord
from events.ops.events import DatabaseConstraintViolation
from events.testing import assert_same_events, recorded
from users import services
from users.models import Follow

pytestmark = pytest.mark.django_db

REGISTRATION = {"user": {"username": "alice", "email": "other@example.com", "password": "x" * 12}}


def test_a_uniqueness_race_is_a_409_and_is_told(api_client, alice, monkeypatch):
    # The race: the name was free when the service looked, taken when it wrote.
    monkeypatch.setattr(services, "_ensure_available", lambda **kwargs: None)

    response = api_client.post(
        "/api/users", REGISTRATION, format="json", HTTP_X_REQUEST_ID="req-race"
    )

    assert response.status_code == 409
    assert response.json() == {"errors": {"username": ["has already been taken"]}}
    assert_same_events(
        recorded(DatabaseConstraintViolation),
        [
            DatabaseConstraintViolation(
                kind="unique", constraint="user_username_key_unique", table="users_user"
            )
        ],
    )
    record = EventRecord.objects.get(type=DatabaseConstraintViolation.type_name)
    assert (record.request_id, record.aggregate_type, record.aggregate_id) == (
        "req-race",
        "table",
        "users_user",
    )
    assert "other@example.com" not in json.dumps(record.payload)


def test_any_other_violation_is_a_422_and_is_told(client_for, alice, monkeypatch):
    def follow_without_the_check(*, follower, followed):
        with transaction.atomic():  # as every service writes
            Follow.objects.create(follower=follower, followed=followed)

    monkeypatch.setattr(services, "user_follow", follow_without_the_check)

    response = client_for(alice).post("/api/profiles/alice/follow")

    assert response.status_code == 422
    assert response.json() == {"errors": {"body": ["is invalid"]}}
    assert_same_events(
        recorded(DatabaseConstraintViolation),
        [
            DatabaseConstraintViolation(
                kind="check", constraint="follow_not_self", table="users_follow"
            )
        ],
    )
    record = EventRecord.objects.get(type=DatabaseConstraintViolation.type_name)
    assert record.actor_id == alice.pk


def test_an_absorbed_race_is_not_a_violation(api_client, alice):
    response = api_client.post("/api/users", REGISTRATION, format="json")

    assert response.status_code == 409
    assert not EventRecord.objects.filter(type=DatabaseConstraintViolation.type_name).exists()


@pytest.mark.parametrize(
    ("message", "violation"),
    [
        (
            # A derived field reports the field its clients know (User.username_key).
            "UNIQUE constraint failed: users_user.username_key",
            ConstraintViolation("unique", "user_username_key_unique", "users_user", "username"),
        ),
        (
            "UNIQUE constraint failed: users_follow.follower_id, users_follow.followed_id",
            ConstraintViolation("unique", "follow_once", "users_follow", ""),
        ),
        (
            "UNIQUE constraint failed: index 'user_email_ci_unique'",
            ConstraintViolation("unique", "user_email_ci_unique", "users_user", "email"),
        ),
        (
            "CHECK constraint failed: follow_not_self",
            ConstraintViolation("check", "follow_not_self", "users_follow", ""),
        ),
        (
            "NOT NULL constraint failed: articles_article.title",
            ConstraintViolation("not_null", "title", "articles_article", ""),
        ),
        ("FOREIGN KEY constraint failed", ConstraintViolation("foreign_key", "", "", "")),
        ("something else entirely", ConstraintViolation("other", "", "", "")),
    ],
)
def test_sqlite_messages_are_read_for_names_only(message, violation):
    assert _from_sqlite_message(message) == violation


def test_postgresql_diagnostics_are_read_for_names_only():
    class Diagnostics:
        constraint_name = "users_user_email_key"
        table_name = "users_user"
        column_name = None

    class UniqueViolation(Exception):
        sqlstate = "23505"
        diag = Diagnostics()

    error = IntegrityError("duplicate key value violates unique constraint ... (alice@x)")
    error.__cause__ = UniqueViolation()

    assert constraint_violation(error) == ConstraintViolation(
        "unique", "users_user_email_key", "users_user", "email"
    )
