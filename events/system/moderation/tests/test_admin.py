"""The review queue in the admin, driven through real requests: what it shows, its filters,
the Approve and Remove actions (through the services, one event per item, a bulk summary for
several), and what a moderator may and may not do."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from articles.models import Article
from articles.tests.factories import ArticleFactory
from comments.tests.factories import CommentFactory
from events.ops.events import BulkOperationCompleted
from events.system.moderation.events import ContentApproved, ContentRemoved
from events.system.moderation.models import ModerationItem, State
from events.system.moderation.services import content_check_spam, content_flag
from events.system.moderation.tests.conftest import MIGRATION, moderators_group
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/moderationitem/"
SPAM_BODY = "Cheap viagra at the casino: https://a.example https://b.example https://c.example"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def queue(alice, bob, charlie):
    """An article hidden as spam by the scorer, and a comment flagged by a reader."""
    spam = ArticleFactory(author=alice, title="Win big", description="Now", body=SPAM_BODY)
    content_check_spam(article_id=spam.pk)
    comment = CommentFactory(author=bob, body="You are all idiots")
    content_flag(user=charlie, article=comment.article, comment=comment, reason="abuse")
    return {
        "spam": ModerationItem.objects.get(article=spam),
        "comment": ModerationItem.objects.get(comment=comment),
    }


def content(item: ModerationItem) -> dict:
    return {
        "item_id": item.pk,
        "content_type": item.content_type,
        "article_id": item.article_id,
        "comment_id": item.comment_id,
        "author_id": item.author_id,
    }


def listed(client: Client, query: str = "") -> list[int]:
    response = client.get(f"{QUEUE}{query}")
    assert response.status_code == 200
    return [item.pk for item in response.context["cl"].result_list]


def test_the_queue_shows_what_a_moderator_decides_on(queue, moderator):
    response = logged_in(moderator).get(QUEUE)

    assert response.status_code == 200
    rows = {item.pk: item for item in response.context["cl"].result_list}
    assert set(rows) == {queue["spam"].pk, queue["comment"].pk}
    page = response.content.decode()
    for text in (
        "Win big: Now",  # the preview
        "You are all idiots",
        "hidden pending review",
        "spam (1), links: 3, blocklisted term: viagra, blocklisted term: casino",
        "abuse (1)",
        "1 (1 open)",  # flags
        '<td class="field-spam_score">95</td>',
        "alice",
        "bob",
        "0\xa0minutes",  # age
        "Approve: visible again, flags resolved",
        "Remove: hidden for good, flags resolved",
    ):
        assert text in page, text


def test_the_queue_filters_by_state_reason_and_source(queue, moderator, alice):
    client = logged_in(moderator)
    spam, comment = queue["spam"].pk, queue["comment"].pk
    approved = ArticleFactory(author=alice)
    content_flag(user=UserFactory(), article=approved, reason="other")
    ModerationItem.objects.filter(article=approved).update(state=State.APPROVED)
    approved_item = ModerationItem.objects.get(article=approved).pk

    assert sorted(listed(client)) == sorted([spam, comment])  # pending review by default
    assert listed(client, "?state=approved") == [approved_item]
    assert listed(client, "?state=hidden") == [spam]
    assert sorted(listed(client, "?state=all")) == sorted([spam, comment, approved_item])
    assert listed(client, "?reason=abuse") == [comment]
    assert listed(client, "?reason=spam") == [spam]
    assert listed(client, "?source=automatic") == [spam]
    assert listed(client, "?source=user&state=all") == [approved_item, comment]


def test_approving_one_item_in_the_admin_shows_it_and_publishes_content_approved(
    queue, moderator, mock_event_bus
):
    item = queue["spam"]

    response = logged_in(moderator).post(
        QUEUE, {"action": "approve", "_selected_action": [item.pk]}
    )

    assert response.status_code == 302
    mock_event_bus.assert_published_exactly(
        [ContentApproved(**content(item), moderator_id=moderator.pk, was_hidden=True)]
    )
    assert Article.objects.get(pk=item.article_id).hidden is False
    assert ModerationItem.objects.get(pk=item.pk).state == State.APPROVED


def test_removing_several_items_publishes_one_event_each_and_a_bulk_summary(
    queue, moderator, mock_event_bus
):
    spam, comment = queue["spam"], queue["comment"]

    response = logged_in(moderator).post(
        QUEUE, {"action": "remove", "_selected_action": [spam.pk, comment.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "2 of 2 items removed (0 already were, 0 deleted meanwhile)." in (
        response.content.decode()
    )
    mock_event_bus.assert_published_exactly(
        [
            ContentRemoved(**content(spam), moderator_id=moderator.pk, was_hidden=True),
            ContentRemoved(**content(comment), moderator_id=moderator.pk, was_hidden=False),
            BulkOperationCompleted(
                kind="moderation.remove",
                count=2,
                succeeded=2,
                skipped=0,
                details="2 changed, 0 already removed, 0 deleted meanwhile",
            ),
        ]
    )
    assert set(ModerationItem.objects.values_list("state", flat=True)) == {State.REMOVED}


def test_an_items_page_shows_its_text_flags_and_audit_trail_link(queue, moderator):
    item = queue["comment"]

    response = logged_in(moderator).get(f"{QUEUE}{item.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "You are all idiots" in page
    assert "charlie" in page  # the flagger, in the flags' inline
    assert (
        f"/admin/events/eventrecord/?aggregate_type=moderation_item&amp;aggregate_id={item.pk}"
    ) in page


def test_the_moderators_group_has_exactly_the_permissions_to_moderate():
    group = moderators_group()

    assert set(group.permissions.values_list("content_type__app_label", "codename")) == {
        ("moderation", "view_moderationitem"),
        ("moderation", "moderate_content"),
        ("moderation", "view_flag"),
        ("events", "view_eventrecord"),
    }
    assert group.name == MIGRATION.GROUP == "Moderators"


def test_a_moderator_cannot_open_a_users_change_form_or_anything_but_the_queue_and_trail(
    moderator, alice
):
    client = logged_in(moderator)
    article = ArticleFactory(author=alice)

    assert client.get(f"/admin/users/user/{alice.pk}/change/").status_code == 403
    for path in (
        "/admin/users/user/",
        "/admin/auth/group/",
        "/admin/articles/article/",
        f"/admin/articles/article/{article.pk}/change/",
        "/admin/comments/comment/",
        "/admin/tags/tag/",
        "/admin/events/delivery/",
    ):
        assert client.get(path).status_code == 403, path
    assert client.get(QUEUE).status_code == 200
    assert client.get("/admin/events/eventrecord/").status_code == 200
    # The index offers nothing to add, change or delete, anywhere.
    index = client.get("/admin/")
    offered = {
        model["object_name"]: {perm for perm, granted in model["perms"].items() if granted}
        for app in index.context["app_list"]
        for model in app["models"]
    }
    assert offered["ModerationItem"] == offered["EventRecord"] == {"view"}
    assert all(perms <= {"view"} for perms in offered.values()), offered
    assert not {"User", "Group", "Article", "Comment", "Tag", "Delivery"} & set(offered)


def test_a_moderator_cannot_delete_or_edit_an_item_by_hand(queue, moderator):
    client = logged_in(moderator)
    item = queue["spam"]

    assert client.post(f"{QUEUE}{item.pk}/change/", {"state": "approved"}).status_code == 403
    assert client.post(f"{QUEUE}{item.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ModerationItem.objects.get(pk=item.pk).state == State.HIDDEN


def test_staff_without_the_moderate_permission_see_the_queue_but_cannot_act(queue, mock_event_bus):
    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_moderationitem"))
    client = logged_in(reader)

    response = client.get(QUEUE)
    response_after = client.post(
        QUEUE, {"action": "approve", "_selected_action": [queue["spam"].pk]}
    )

    assert response.status_code == 200
    assert "Approve: visible again" not in response.content.decode()
    assert response_after.status_code == 200  # "no action selected": nothing done
    mock_event_bus.assert_nothing_published()
    assert ModerationItem.objects.get(pk=queue["spam"].pk).state == State.HIDDEN
    assert logged_in(UserFactory(is_staff=True)).get(QUEUE).status_code == 403
