"""A moderator's decisions: Approve and Remove, one event each, flags resolved; several at
once add one BulkOperationCompleted with the counts."""

import pytest

from articles.models import Article
from articles.tests.factories import ArticleFactory
from comments.tests.factories import CommentFactory
from events.ops.events import BulkOperationCompleted
from events.system.moderation.events import ContentApproved, ContentFlagged, ContentRemoved
from events.system.moderation.models import Flag, ModerationItem, State
from events.system.moderation.services import (
    content_approve,
    content_flag,
    content_remove,
    content_review_many,
)
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(username="mo", is_staff=True)


def content(item: ModerationItem) -> dict:
    return {
        "item_id": item.pk,
        "content_type": item.content_type,
        "article_id": item.article_id,
        "comment_id": item.comment_id,
        "author_id": item.author_id,
    }


def flagged_article(author, *flaggers) -> ModerationItem:
    article = ArticleFactory(author=author)
    for flagger in flaggers:
        content_flag(user=flagger, article=article, reason="spam")
    return ModerationItem.objects.get(article=article, comment=None)


def test_approving_a_hidden_article_shows_it_and_resolves_its_flags(
    alice, bob, charlie, staff, settings, mock_event_bus
):
    settings.MODERATION_FLAGS_TO_HIDE = 2
    item = flagged_article(alice, bob, charlie)
    assert item.state == State.HIDDEN
    mock_event_bus.reset()

    assert content_approve(item=item, moderator=staff) is True

    item.refresh_from_db()
    mock_event_bus.assert_published_exactly(
        [ContentApproved(**content(item), moderator_id=staff.pk, was_hidden=True)]
    )
    assert (item.state, item.reviewed_by, item.reviewed_at is not None) == (
        State.APPROVED,
        staff,
        True,
    )
    assert Article.objects.get().hidden is False
    assert not Flag.objects.filter(resolved_at__isnull=True).exists()
    # Approving again changes nothing and says nothing.
    mock_event_bus.reset()
    assert content_approve(item=item, moderator=staff) is False
    mock_event_bus.assert_nothing_published()


def test_removing_a_visible_flagged_comment_hides_it_for_good(alice, bob, staff, mock_event_bus):
    comment = CommentFactory(author=alice)
    content_flag(user=bob, article=comment.article, comment=comment, reason="abuse")
    item = ModerationItem.objects.get()
    mock_event_bus.reset()

    assert content_remove(item=item, moderator=staff) is True

    mock_event_bus.assert_published_exactly(
        [ContentRemoved(**content(item), moderator_id=staff.pk, was_hidden=False)]
    )
    comment.refresh_from_db()
    assert comment.hidden is True
    assert ModerationItem.objects.get().state == State.REMOVED


def test_a_new_flag_puts_an_approved_item_back_in_the_queue(
    alice, bob, charlie, staff, mock_event_bus
):
    item = flagged_article(alice, bob)
    content_approve(item=item, moderator=staff)
    mock_event_bus.reset()

    content_flag(user=charlie, article=item.article, reason="other")

    item.refresh_from_db()
    assert item.state == State.FLAGGED
    mock_event_bus.assert_published_exactly(
        [
            ContentFlagged(
                **content(item),
                source="user",
                reason="other",
                flagger_id=charlie.pk,
                open_flags=1,  # bob's was resolved by the approval
            )
        ]
    )


def test_approving_several_items_publishes_one_event_each_and_a_bulk_summary(
    alice, bob, staff, mock_event_bus
):
    first, second, third = (flagged_article(alice, bob) for _ in range(3))
    content_approve(item=third, moderator=staff)
    mock_event_bus.reset()

    counts = content_review_many(items=[first, second, third], moderator=staff, decision="approve")

    assert counts == {"selected": 3, "changed": 2, "unchanged": 1, "gone": 0}
    mock_event_bus.assert_published_exactly(
        [
            ContentApproved(**content(first), moderator_id=staff.pk, was_hidden=False),
            ContentApproved(**content(second), moderator_id=staff.pk, was_hidden=False),
            BulkOperationCompleted(
                kind="moderation.approve",
                count=3,
                succeeded=2,
                skipped=1,
                details="2 changed, 1 already approved, 0 deleted meanwhile",
            ),
        ]
    )


def test_one_item_needs_no_bulk_summary_and_deleted_content_is_skipped(
    alice, bob, staff, mock_event_bus
):
    gone, kept = flagged_article(alice, bob), flagged_article(alice, bob)
    Article.objects.filter(pk=gone.article_id).delete()
    mock_event_bus.reset()

    assert content_review_many(items=[kept], moderator=staff, decision="remove") == {
        "selected": 1,
        "changed": 1,
        "unchanged": 0,
        "gone": 0,
    }
    mock_event_bus.assert_published_exactly(
        [ContentRemoved(**content(kept), moderator_id=staff.pk, was_hidden=False)]
    )
    mock_event_bus.reset()

    counts = content_review_many(items=[gone, kept], moderator=staff, decision="remove")

    assert counts == {"selected": 2, "changed": 0, "unchanged": 1, "gone": 1}
    mock_event_bus.assert_published_exactly(
        [
            BulkOperationCompleted(
                kind="moderation.remove",
                count=2,
                succeeded=0,
                skipped=2,
                details="0 changed, 1 already removed, 1 deleted meanwhile",
            )
        ]
    )
