import pytest
from django.core.cache import caches

from conduit.readcache import EVERYTHING, stamp_key
from events.ops.events import BulkOperationCompleted
from users.events import UserProfileUpdated, UserRegistered, UserUnfollowed
from users.models import Follow, User
from users.tests.factories import FollowFactory, UserFactory


@pytest.fixture
def staff_client(client, db):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_the_user_list_shows_and_searches_users(staff_client, alice, bob):
    response = staff_client.get("/admin/users/user/", {"q": "alice"})

    assert response.status_code == 200
    assert b"alice@example.com" in response.content
    assert b"bob@example.com" not in response.content


@pytest.mark.django_db
def test_a_user_added_in_the_admin_is_registered_through_the_service(staff_client, mock_event_bus):
    response = staff_client.post(
        "/admin/users/user/add/",
        {
            "email": "Dana@Example.com",
            "username": "dana",
            "password1": "a long enough secret",
            "password2": "a long enough secret",
        },
    )

    assert response.status_code == 302, response.content
    dana = User.objects.get(username="dana")
    assert dana.email == "dana@example.com"
    assert dana.check_password("a long enough secret")
    mock_event_bus.assert_event_published(
        UserRegistered, user_id=dana.pk, username="dana", email="dana@example.com"
    )


@pytest.mark.django_db
def test_the_admin_refuses_an_email_taken_in_another_letter_case(staff_client, alice):
    response = staff_client.post(
        "/admin/users/user/add/",
        {
            "email": "ALICE@example.com",
            "username": "alice2",
            "password1": "a long enough secret",
            "password2": "a long enough secret",
        },
    )

    assert response.status_code == 200  # the form again, with its error
    assert b"already exists" in response.content
    assert not User.objects.filter(username="alice2").exists()


@pytest.mark.django_db
def test_a_moderator_clearing_alices_bio_publishes_the_change(staff_client, alice, mock_event_bus):
    alice.bio = "spam spam spam"
    alice.save()

    response = staff_client.post(
        f"/admin/users/user/{alice.pk}/change/",
        {
            "email": "alice@example.com",
            "username": "alice",
            "bio": "",
            "image": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302, response.content
    alice.refresh_from_db()
    assert alice.bio is None
    mock_event_bus.assert_event_published(
        UserProfileUpdated, user_id=alice.pk, changed_fields=("bio",)
    )


@pytest.mark.django_db
def test_the_admin_refuses_a_username_the_api_would_refuse(staff_client, alice):
    response = staff_client.post(
        f"/admin/users/user/{alice.pk}/change/",
        {"email": "alice@example.com", "username": "ali/ce", "is_active": "on"},
    )

    assert response.status_code == 200
    assert b"Letters, digits" in response.content
    alice.refresh_from_db()
    assert alice.username == "alice"


@pytest.mark.django_db
def test_the_follow_list_loads_its_users_in_one_query(
    staff_client, alice, bob, charlie, django_assert_max_num_queries
):
    FollowFactory(follower=bob, followed=alice)
    FollowFactory(follower=charlie, followed=alice)
    FollowFactory(follower=charlie, followed=bob)

    with django_assert_max_num_queries(8):
        response = staff_client.get("/admin/users/follow/")

    assert response.status_code == 200
    assert response.content.count(b"charlie") >= 2


@pytest.mark.django_db
def test_deleting_follows_in_the_admin_unfollows_through_the_service(
    staff_client, alice, bob, charlie, mock_event_bus, operation_clock
):
    keep = FollowFactory(follower=charlie, followed=alice)
    gone = FollowFactory(follower=bob, followed=alice)
    also_gone = FollowFactory(follower=bob, followed=charlie)

    response = staff_client.post(
        "/admin/users/follow/",
        {"action": "delete_selected", "_selected_action": [gone.pk, also_gone.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(Follow.objects.all()) == [keep]
    mock_event_bus.assert_published_exactly(
        [
            UserUnfollowed(follower_id=bob.pk, followed_id=alice.pk),
            UserUnfollowed(follower_id=bob.pk, followed_id=charlie.pk),
            BulkOperationCompleted(
                kind="follows.delete",
                count=2,
                succeeded=2,
                skipped=0,
                details="",
                events_published={"users.UserUnfollowed": 2},
                duration_ms=0,
            ),
        ]
    )


@pytest.mark.django_db
def test_follows_cannot_be_added_or_edited_in_the_admin(staff_client, alice, bob):
    follow = FollowFactory(follower=bob, followed=alice)

    assert staff_client.get("/admin/users/follow/add/").status_code == 403
    response = staff_client.post(f"/admin/users/follow/{follow.pk}/change/", {})
    assert response.status_code == 403


@pytest.mark.django_db
def test_deactivating_alice_in_the_admin_stops_her_token_at_once(
    staff_client, alice, client_for, settings, django_capture_on_commit_callbacks
):
    settings.READ_CACHE_SECONDS = 60
    alices_client = client_for(alice)
    assert alices_client.get("/api/user").status_code == 200  # her user is now remembered
    stamp = caches["default"].get(stamp_key(EVERYTHING))

    with django_capture_on_commit_callbacks() as after_commit:
        response = staff_client.post(
            f"/admin/users/user/{alice.pk}/change/",
            {
                "email": "alice@example.com",
                "username": "alice",
                "bio": "",
                "image": "",
                "date_joined_0": "2026-01-01",
                "date_joined_1": "00:00:00",
            },  # is_active left unticked
        )
        # Nothing another process can see happens before the commit: a reader that
        # re-cached the old user under a new stamp would keep her token working.
        assert caches["default"].get(stamp_key(EVERYTHING)) == stamp
    for callback in after_commit:
        callback()

    assert response.status_code == 302, response.content
    assert alices_client.get("/api/user").status_code == 401
