import dataclasses
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conduit.errors import Conflict, Forbidden, Invalid, InvalidCredentials
from events.models import EventRecord
from events.outbox import event_from_record
from users import services
from users.events import (
    UserFollowed,
    UserLoggedIn,
    UserProfileUpdated,
    UserRegistered,
    UserUnfollowed,
)
from users.models import Follow, User
from users.services import user_follow, user_register, user_unfollow, user_update
from users.tests.factories import UserFactory


@pytest.mark.django_db
def test_user_register_creates_the_user_and_publishes_exactly_that(mock_event_bus):
    alice = user_register(username="alice", email=" Alice@Example.com", password="pw secret")

    assert alice.pk is not None
    assert alice.email == "alice@example.com"
    assert alice.check_password("pw secret")
    assert mock_event_bus.published == [
        UserRegistered(
            event_id=mock_event_bus.published[0].event_id,
            occurred_at=mock_event_bus.published[0].occurred_at,
            user_id=alice.pk,
            username="alice",
            email="alice@example.com",
        )
    ]


@pytest.mark.django_db
def test_registering_the_same_username_twice_is_a_conflict(mock_event_bus):
    user_register(username="alice", email="alice@example.com", password="long enough")

    with pytest.raises(Conflict) as caught:
        user_register(username="alice", email="other@example.com", password="long enough")

    assert caught.value.errors == {"username": ["has already been taken"]}
    assert mock_event_bus.call_count == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"username": ""}, "username"),
        ({"username": "a/b"}, "username"),
        ({"email": "nope"}, "email"),
        ({"password": "  "}, "password"),
    ],
)
def test_user_register_enforces_its_rules_for_every_caller(mock_event_bus, fields, key):
    values = {"username": "alice", "email": "alice@example.com", "password": "long enough"} | fields

    with pytest.raises(Invalid) as caught:
        user_register(**values)

    assert caught.value.key == key
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_a_registration_that_loses_the_race_for_a_username_is_a_409(
    api_client, monkeypatch, mock_event_bus
):
    """Bob's request passes the availability check, then someone else's commit takes the name
    before his INSERT: the unique index refuses it and he gets a 409, not a 500."""
    real_check = services._ensure_available
    calls = []

    def check_then_lose_the_race(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            UserFactory(username="bob", email="first-bob@example.com")
            return None
        return real_check(**kwargs)

    monkeypatch.setattr(services, "_ensure_available", check_then_lose_the_race)

    response = api_client.post(
        "/api/users",
        {"user": {"username": "bob", "email": "bob@example.com", "password": "pw secret"}},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == {"errors": {"username": ["has already been taken"]}}
    assert list(User.objects.values_list("email", flat=True)) == ["first-bob@example.com"]
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_an_email_change_that_loses_the_race_is_a_409_and_changes_nothing(
    client_for, alice, monkeypatch, mock_event_bus
):
    real_check = services._ensure_available
    calls = []

    def check_then_lose_the_race(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            UserFactory(username="bob", email="bob@example.com")
            return None
        return real_check(**kwargs)

    monkeypatch.setattr(services, "_ensure_available", check_then_lose_the_race)

    response = client_for(alice).put(
        "/api/user", {"user": {"email": "BOB@example.com", "bio": "hi"}}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {"errors": {"email": ["has already been taken"]}}
    alice.refresh_from_db()
    assert (alice.email, alice.bio) == ("alice@example.com", None)
    mock_event_bus.assert_nothing_published()


def _race(target, count=2):
    """Run `target` in `count` threads released together; their results or exceptions."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_registrations_of_one_username_make_one_user_and_one_conflict():
    results = _race(
        lambda: user_register(username="alice", email="alice@example.com", password="long enough")
    )

    assert sorted(type(result).__name__ for result in results) == ["Conflict", "User"]
    assert User.objects.count() == 1
    assert EventRecord.objects.filter(type="users.UserRegistered").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_follows_make_one_follow_and_one_event():
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")

    results = _race(lambda: user_follow(follower=bob, followed=alice))

    assert sorted(results) == [False, True]
    assert Follow.objects.count() == 1
    assert EventRecord.objects.filter(type="users.UserFollowed").count() == 1


@pytest.mark.django_db
def test_user_login_refuses_wrong_credentials_without_logging_anyone_in(alice, mock_event_bus):
    with pytest.raises(InvalidCredentials):
        services.user_login(email="alice@example.com", password="wrong")
    with pytest.raises(InvalidCredentials):
        services.user_login(email="nobody@example.com", password="wrong")

    # Only the attempts, recorded through users' login hook by the security app.
    assert [event.type_name for event in mock_event_bus.published] == [
        "events.UserLoginAttempted",
        "events.UserLoginAttempted",
    ]
    alice.refresh_from_db()
    assert alice.last_login is None


@pytest.mark.django_db
def test_user_update_names_only_the_fields_that_changed(alice, mock_event_bus):
    user_update(user=alice, username="alice", email="alice@example.com", bio="new", image=None)

    mock_event_bus.assert_event_published(
        UserProfileUpdated, user_id=alice.pk, changed_fields=("bio",)
    )
    assert mock_event_bus.call_count == 1


@pytest.mark.django_db
def test_user_update_without_arguments_changes_nothing(alice, mock_event_bus):
    assert user_update(user=alice) is alice

    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_user_update_refuses_blank_identity_fields(alice, mock_event_bus):
    with pytest.raises(Invalid):
        user_update(user=alice, username="  ")
    with pytest.raises(Invalid):
        user_update(user=alice, email=None)

    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_following_is_refused_for_oneself_and_unfollowing_oneself_is_a_no_op(alice, mock_event_bus):
    with pytest.raises(Forbidden):
        user_follow(follower=alice, followed=alice)

    assert user_unfollow(follower=alice, followed=alice) is False
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_follow_and_unfollow_report_whether_anything_changed(alice, bob, mock_event_bus):
    assert user_follow(follower=bob, followed=alice) is True
    assert user_follow(follower=bob, followed=alice) is False
    assert user_unfollow(follower=bob, followed=alice) is True
    assert user_unfollow(follower=bob, followed=alice) is False

    assert [type(event) for event in mock_event_bus.published] == [UserFollowed, UserUnfollowed]


@pytest.mark.django_db
def test_users_events_come_back_equal_from_the_audit_trail(
    alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        charlie = user_register(
            username="charlie", email="charlie@example.com", password="long enough"
        )
        services.user_login(email="charlie@example.com", password="long enough")
        user_update(user=charlie, bio="hello", password="a new secret")
        user_follow(follower=charlie, followed=alice)
        user_unfollow(follower=charlie, followed=alice)

    # users' own events (the security app records the login attempt and the password change).
    records = list(EventRecord.objects.filter(type__startswith="users.").order_by("occurred_at"))
    events = [event_from_record(record) for record in records]
    assert [type(event) for event in events] == [
        UserRegistered,
        UserLoggedIn,
        UserProfileUpdated,
        UserFollowed,
        UserUnfollowed,
    ]
    assert events[2].changed_fields == ("bio", "password")
    assert all(record.aggregate_type == "user" for record in records)


@pytest.mark.parametrize(
    "event_type", [UserRegistered, UserLoggedIn, UserProfileUpdated, UserFollowed, UserUnfollowed]
)
def test_users_events_are_frozen_slotted_keyword_only_and_documented(event_type):
    params = event_type.__dataclass_params__
    assert params.frozen
    assert "__slots__" in event_type.__dict__
    assert all(field.kw_only for field in dataclasses.fields(event_type))
    assert event_type.__doc__
    assert event_type.aggregate_type == "user"
    assert event_type.aggregate_id_field in {field.name for field in dataclasses.fields(event_type)}


@pytest.mark.django_db
def test_a_follow_is_one_insert_without_a_savepoint_and_a_repeat_inserts_nothing(alice, bob):
    with CaptureQueriesContext(connection) as first:
        assert user_follow(follower=bob, followed=alice) is True
    with CaptureQueriesContext(connection) as repeat:
        assert user_follow(follower=bob, followed=alice) is False

    def statements(captured, word):
        sqls = [query["sql"] for query in captured.captured_queries]
        return [sql for sql in sqls if sql.startswith(word)]

    # Each call's one savepoint is its unit of work's own, inside the test's transaction.
    assert len(statements(first, "SAVEPOINT")) == len(statements(repeat, "SAVEPOINT")) == 1
    assert sum('"users_follow"' in sql for sql in statements(first, "INSERT")) == 1
    assert not any('"users_follow"' in sql for sql in statements(first, "SELECT"))
    assert Follow.objects.count() == 1
    assert EventRecord.objects.filter(type="users.UserFollowed").count() == 1


@pytest.mark.django_db
def test_a_registration_checks_the_username_and_the_email_in_one_query():
    UserFactory(username="taken", email="taken@example.com")

    with CaptureQueriesContext(connection) as captured:
        user_register(username="fresh", email="fresh@example.com", password="long enough")

    selects = [
        query
        for query in captured.captured_queries
        # The webhooks app's recorder reads the receiving endpoints at the unit's end.
        if query["sql"].startswith("SELECT") and '"webhooks_endpoint"' not in query["sql"]
    ]
    assert len(selects) == 1
    with pytest.raises(Conflict) as username_taken:
        user_register(username="taken", email="other@example.com", password="long enough")
    with pytest.raises(Conflict) as email_taken:
        user_register(username="other", email="TAKEN@example.com", password="long enough")
    assert (username_taken.value.key, email_taken.value.key) == ("username", "email")
