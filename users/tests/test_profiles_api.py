import pytest

from events.models import EventRecord
from users.events import UserFollowed, UserUnfollowed
from users.models import Follow
from users.tests.factories import FollowFactory


def follow_url(username):
    return f"/api/profiles/{username}/follow"


@pytest.mark.django_db
def test_anyone_can_see_alices_profile(api_client, alice):
    response = api_client.get("/api/profiles/alice")

    assert response.status_code == 200
    assert response.json() == {
        "profile": {"username": "alice", "bio": None, "image": None, "following": False}
    }


@pytest.mark.django_db
def test_bob_sees_whether_he_follows_alice(client_for, alice, bob, charlie):
    FollowFactory(follower=bob, followed=alice)
    FollowFactory(follower=charlie, followed=bob)

    client = client_for(bob)

    assert client.get("/api/profiles/alice").json()["profile"]["following"] is True
    assert client.get("/api/profiles/charlie").json()["profile"]["following"] is False
    assert client.get("/api/profiles/bob").json()["profile"]["following"] is False


@pytest.mark.django_db
def test_a_profile_costs_one_query_for_anonymous_and_three_for_a_viewer(
    api_client, client_for, alice, bob, django_assert_num_queries
):
    with django_assert_num_queries(1):
        api_client.get("/api/profiles/alice")
    client = client_for(bob)
    with django_assert_num_queries(3):  # the token's user, the profile, `following`
        client.get("/api/profiles/alice")


@pytest.mark.django_db
def test_an_unknown_profile_is_not_found(api_client, alice):
    response = api_client.get("/api/profiles/nobody")

    assert response.status_code == 404
    assert response.json() == {"errors": {"profile": ["not found"]}}


@pytest.mark.django_db
def test_profile_usernames_are_matched_exactly(api_client, alice):
    assert api_client.get("/api/profiles/Alice").status_code == 404


@pytest.mark.django_db
def test_bob_follows_alice(client_for, alice, bob, mock_event_bus):
    response = client_for(bob).post(follow_url("alice"))

    assert response.status_code == 200
    assert response.json() == {
        "profile": {"username": "alice", "bio": None, "image": None, "following": True}
    }
    assert Follow.objects.filter(follower=bob, followed=alice).exists()
    mock_event_bus.assert_event_published(UserFollowed, follower_id=bob.pk, followed_id=alice.pk)


@pytest.mark.django_db
def test_following_twice_keeps_one_follow_and_one_event(client_for, alice, bob, mock_event_bus):
    client = client_for(bob)

    client.post(follow_url("alice"))
    response = client.post(follow_url("alice"))

    assert response.status_code == 200
    assert response.json()["profile"]["following"] is True
    assert Follow.objects.filter(follower=bob, followed=alice).count() == 1
    assert len(mock_event_bus.events_of(UserFollowed)) == 1


@pytest.mark.django_db
def test_bob_unfollows_alice(client_for, alice, bob, mock_event_bus):
    FollowFactory(follower=bob, followed=alice)

    response = client_for(bob).delete(follow_url("alice"))

    assert response.status_code == 200
    assert response.json()["profile"] == {
        "username": "alice",
        "bio": None,
        "image": None,
        "following": False,
    }
    assert not Follow.objects.exists()
    mock_event_bus.assert_event_published(UserUnfollowed, follower_id=bob.pk, followed_id=alice.pk)


@pytest.mark.django_db
def test_unfollowing_someone_not_followed_is_a_quiet_success(
    client_for, alice, bob, mock_event_bus
):
    response = client_for(bob).delete(follow_url("alice"))

    assert response.status_code == 200
    assert response.json()["profile"]["following"] is False
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_bobs_unfollow_leaves_charlies_follow_of_alice(client_for, alice, bob, charlie):
    FollowFactory(follower=bob, followed=alice)
    FollowFactory(follower=charlie, followed=alice)

    client_for(bob).delete(follow_url("alice"))

    assert list(Follow.objects.values_list("follower__username", flat=True)) == ["charlie"]


@pytest.mark.django_db
def test_alice_cannot_follow_herself(client_for, alice, mock_event_bus):
    response = client_for(alice).post(follow_url("alice"))

    assert response.status_code == 403
    assert response.json() == {"errors": {"profile": ["cannot follow yourself"]}}
    assert not Follow.objects.exists()
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "delete"])
def test_following_an_unknown_profile_is_not_found(client_for, bob, method):
    response = getattr(client_for(bob), method)(follow_url("nobody"))

    assert response.status_code == 404
    assert response.json() == {"errors": {"profile": ["not found"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_following_needs_a_token_before_anything_else(
    api_client, alice, mock_event_bus, method, username
):
    response = getattr(api_client, method)(follow_url(username))

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_follow_and_unfollow_are_in_the_audit_trail(
    client_for, alice, bob, django_capture_on_commit_callbacks
):
    client = client_for(bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(follow_url("alice"))
        client.delete(follow_url("alice"))

    records = EventRecord.objects.filter(type__startswith="users.User").order_by("occurred_at")
    assert [(r.type, r.payload, r.aggregate_id, r.actor_id) for r in records] == [
        (
            "users.UserFollowed",
            {"follower_id": bob.pk, "followed_id": alice.pk},
            str(bob.pk),
            bob.pk,
        ),
        (
            "users.UserUnfollowed",
            {"follower_id": bob.pk, "followed_id": alice.pk},
            str(bob.pk),
            bob.pk,
        ),
    ]


@pytest.mark.django_db
def test_the_follow_endpoint_refuses_other_methods(client_for, alice, bob):
    response = client_for(bob).put(follow_url("alice"))

    assert response.status_code == 405
    assert response["Allow"] == "POST, DELETE, OPTIONS"
