"""Accounts changed and removed in the admin go through users.services: every change is
announced, every counter stays exact, and a token stops working at once."""

import dataclasses

import pytest
from django.contrib.auth.models import Group, Permission

from articles.counters import counters_rebuild, counters_snapshot
from articles.models import Article, AuthorStats, Favorite
from articles.services import article_create, article_favorite
from comments.models import Comment
from comments.services import comment_create
from events.core.event import Event
from users.events import (
    UserAccessChanged,
    UserDeactivated,
    UserDeleted,
    UserProfileUpdated,
    UserReactivated,
)
from users.models import Follow, User
from users.services import user_delete, user_follow
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def facts(events: list[Event]) -> list[tuple[str, dict]]:
    """Each event as (type, fields), without the id and time every event has."""
    return [
        (
            type(event).__name__,
            {
                k: v
                for k, v in dataclasses.asdict(event).items()
                if k not in ("event_id", "occurred_at")
            },
        )
        for event in events
    ]


def change_form(user: User, **overrides: object) -> dict:
    """The admin change form as a browser posts it, unchanged unless overridden."""
    form = {
        "email": user.email,
        "username": user.username,
        "bio": user.bio or "",
        "image": user.image or "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    form |= overrides
    return {name: value for name, value in form.items() if value is not None}


@pytest.fixture
def alices_world(alice, bob, charlie):
    """alice wrote an article (tag x) that bob favorited and commented on; she favorited and
    commented on bob's article; she follows bob and charlie follows her."""
    hers = article_create(author=alice, title="Hers", description="d", body="b", tag_list=["x"])
    his = article_create(author=bob, title="His", description="d", body="b", tag_list=["x"])
    article_favorite(article=hers, user=bob)
    article_favorite(article=his, user=alice)
    bobs_comment = comment_create(article=hers, author=bob, body="nice")
    alices_comment = comment_create(article=his, author=alice, body="thanks")
    user_follow(follower=alice, followed=bob)
    user_follow(follower=charlie, followed=alice)
    return {"hers": hers, "his": his, "bobs": bobs_comment, "alices": alices_comment}


def test_removing_alice_removes_what_she_owns_through_the_services(
    alice, bob, charlie, alices_world, mock_event_bus
):
    hers, his = alices_world["hers"], alices_world["his"]
    mock_event_bus.reset()

    user_delete(user=alice)

    assert facts(mock_event_bus.published) == [
        ("UserUnfollowed", {"follower_id": alice.pk, "followed_id": bob.pk}),
        ("UserUnfollowed", {"follower_id": charlie.pk, "followed_id": alice.pk}),
        ("ArticleUnfavorited", {"article_id": his.pk, "user_id": alice.pk, "favorites_count": 0}),
        (
            "CommentDeleted",
            {"comment_id": alices_world["bobs"].pk, "article_id": hers.pk, "author_id": bob.pk},
        ),
        ("TagRemoved", {"name": "x", "article_id": hers.pk}),
        (
            "ArticleDeleted",
            {"article_id": hers.pk, "author_id": alice.pk, "slug": "hers", "title": "Hers"},
        ),
        (
            "CommentDeleted",
            {"comment_id": alices_world["alices"].pk, "article_id": his.pk, "author_id": alice.pk},
        ),
        ("UserDeleted", {"user_id": alice.pk}),
    ]
    assert not User.objects.filter(pk=alice.pk).exists()
    assert list(Article.objects.values_list("pk", flat=True)) == [his.pk]
    assert not Comment.objects.exists() and not Favorite.objects.exists()
    assert not Follow.objects.exists()
    assert not AuthorStats.objects.filter(favorites_count__gt=0).exists()
    kept = counters_snapshot()
    counters_rebuild()
    assert kept == counters_snapshot()


def test_deleting_alice_in_the_admin_goes_through_the_service(
    staff_client, alice, alices_world, client_for, mock_event_bus
):
    alices_client = client_for(alice)
    mock_event_bus.reset()

    response = staff_client.post(f"/admin/users/user/{alice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302, response.content
    assert not User.objects.filter(pk=alice.pk).exists()
    assert [kind for kind, _ in facts(mock_event_bus.published)][-1] == "UserDeleted"
    assert len(mock_event_bus.events_of(UserDeleted)) == 1
    assert alices_client.get("/api/user").status_code == 401
    by_author = staff_client.get("/api/articles", {"author": "alice"}).json()
    assert by_author == {"articles": [], "articlesCount": 0}
    assert staff_client.get("/api/articles", {"tag": "x"}).json()["articlesCount"] == 1


def test_deleting_several_accounts_in_the_admin_removes_each_through_the_service(
    staff_client, alice, bob, alices_world, mock_event_bus, operation_clock
):
    mock_event_bus.reset()

    response = staff_client.post(
        "/admin/users/user/",
        {"action": "delete_selected", "_selected_action": [alice.pk, bob.pk], "post": "yes"},
    )

    assert response.status_code == 302, response.content
    assert {event.user_id for event in mock_event_bus.events_of(UserDeleted)} == {alice.pk, bob.pk}
    assert facts(mock_event_bus.published)[-1] == (
        "BulkOperationCompleted",
        {
            "kind": "users.delete",
            "count": 2,
            "succeeded": 2,
            "skipped": 0,
            "details": "",
            "events_published": {
                "articles.ArticleDeleted": 2,
                # bob's favorite of her article goes with it, unannounced by itself
                "articles.ArticleUnfavorited": 1,
                "comments.CommentDeleted": 2,
                "tags.TagRemoved": 2,
                "users.UserDeleted": 2,
                "users.UserUnfollowed": 2,
            },
            "duration_ms": 0,
        },
    )
    assert not Article.objects.exists()
    assert counters_snapshot() == {"total": 0}


def test_deactivating_and_reactivating_in_the_admin_are_announced(
    staff_client, alice, bob, client_for, mock_event_bus, operation_clock
):
    User.objects.filter(pk=bob.pk).update(is_active=False)

    response = staff_client.post(
        "/admin/users/user/",
        {"action": "deactivate_accounts", "_selected_action": [alice.pk, bob.pk]},
    )
    assert response.status_code == 302
    assert facts(mock_event_bus.published) == [
        ("UserDeactivated", {"user_id": alice.pk}),
        (
            "BulkOperationCompleted",
            {
                "kind": "users.deactivate",
                "count": 2,
                "succeeded": 1,
                "skipped": 1,
                "details": "",
                "events_published": {"users.UserDeactivated": 1},
                "duration_ms": 0,
            },
        ),
    ]
    assert client_for(alice).get("/api/user").status_code == 401

    mock_event_bus.reset()
    response = staff_client.post(f"/admin/users/user/{alice.pk}/change/", change_form(alice))
    assert response.status_code == 302, response.content
    assert mock_event_bus.published == mock_event_bus.events_of(UserReactivated)
    assert facts(mock_event_bus.published) == [("UserReactivated", {"user_id": alice.pk})]
    assert client_for(alice).get("/api/user").status_code == 200


def test_the_deactivate_action_skips_accounts_already_inactive(staff_client, alice, mock_event_bus):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    staff_client.post(
        "/admin/users/user/", {"action": "deactivate_accounts", "_selected_action": [alice.pk]}
    )

    assert mock_event_bus.events_of(UserDeactivated) == []


def test_making_alice_staff_with_a_group_is_one_access_change(staff_client, alice, mock_event_bus):
    editors = Group.objects.create(name="editors")
    permission = Permission.objects.get(codename="view_article")

    response = staff_client.post(
        f"/admin/users/user/{alice.pk}/change/",
        change_form(alice, is_staff="on", groups=[editors.pk], user_permissions=[permission.pk]),
    )

    assert response.status_code == 302, response.content
    alice.refresh_from_db()
    assert alice.is_staff and not alice.is_superuser
    assert list(alice.groups.all()) == [editors]
    assert list(alice.user_permissions.all()) == [permission]
    assert facts(mock_event_bus.published) == [
        (
            "UserAccessChanged",
            {"user_id": alice.pk, "changed_fields": ("is_staff", "groups", "user_permissions")},
        )
    ]


def test_an_unchanged_change_form_publishes_nothing(staff_client, alice, mock_event_bus):
    response = staff_client.post(f"/admin/users/user/{alice.pk}/change/", change_form(alice))

    assert response.status_code == 302
    mock_event_bus.assert_nothing_published()
    assert mock_event_bus.events_of(UserAccessChanged) == []


def test_the_admins_password_form_changes_the_password_through_the_service(
    staff_client, alice, api_client, mock_event_bus
):
    response = staff_client.post(
        f"/admin/users/user/{alice.pk}/password/",
        {"password1": "a brand new secret", "password2": "a brand new secret"},
    )

    assert response.status_code == 302, response.content
    assert facts(mock_event_bus.published) == [
        ("UserPasswordChanged", {"user_id": alice.pk}),
        ("UserProfileUpdated", {"user_id": alice.pk, "changed_fields": ("password",)}),
    ]
    assert mock_event_bus.events_of(UserProfileUpdated)
    alice.refresh_from_db()
    assert alice.check_password("a brand new secret")
