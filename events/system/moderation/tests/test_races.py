"""Hiding and approving race favorites, deletes and each other: the counters stay exact, one
decision wins, nothing answers 500. Real threads against the test database (row locks on
PostgreSQL; SQLite serialises write transactions and must reach the same outcome)."""

import pytest

from articles.models import Article, Favorite
from articles.services import article_create
from articles.tests.test_races import assert_counters_exact, at_once, client_of, delete, favorite
from events.models import EventRecord
from events.system.moderation.models import ModerationItem
from events.system.moderation.services import content_approve, content_flag, content_remove
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def hide_by_flag(flagger, slug: str):
    return lambda: (
        client_of(flagger)
        .post(f"/api/articles/{slug}/flag", {"flag": {"reason": "spam"}}, format="json")
        .status_code
    )


@pytest.mark.parametrize("round_", range(3))
def test_favorites_racing_the_hide_are_counted_then_uncounted_or_404(alice, settings, round_):
    settings.MODERATION_FLAGS_TO_HIDE = 1
    readers = [UserFactory() for _ in range(4)]
    article = article_create(author=alice, title="Racy", description="d", body="b", tag_list=["x"])

    statuses = at_once(
        *(favorite(reader, article.slug) for reader in readers),
        hide_by_flag(UserFactory(), article.slug),
    )

    assert statuses[-1] == 200
    assert set(statuses[:-1]) <= {200, 404}
    assert Article.objects.get().hidden is True
    assert_counters_exact()
    # Approving counts back exactly the favorites that were made.
    content_approve(item=ModerationItem.objects.get(), moderator=UserFactory(is_staff=True))
    assert_counters_exact()
    listed = client_of(readers[0]).get(f"/api/articles/{article.slug}").json()["article"]
    assert listed["favoritesCount"] == Favorite.objects.count()


@pytest.mark.parametrize("round_", range(3))
def test_the_hide_racing_the_authors_delete_leaves_one_outcome(alice, settings, round_):
    settings.MODERATION_FLAGS_TO_HIDE = 1
    article = article_create(author=alice, title="Racy", description="d", body="b", tag_list=["x"])

    flagged, deleted = at_once(
        hide_by_flag(UserFactory(), article.slug), delete(alice, article.slug)
    )

    # The delete first: the flag is a 404. The hide first: a delete that had found the
    # article visible still deletes it (its author may), one that had not is a 404.
    assert (flagged, deleted) in ((404, 204), (200, 204), (200, 404))
    assert Article.objects.exists() is (deleted == 404)
    assert not Article.objects.filter(hidden=False).exists()
    assert_counters_exact()


def test_two_moderators_deciding_at_once_leave_one_decision(alice, bob, settings):
    settings.MODERATION_FLAGS_TO_HIDE = 1
    article = article_create(author=alice, title="Racy", description="d", body="b", tag_list=["x"])
    content_flag(user=bob, article=article, reason="spam")
    item = ModerationItem.objects.get()
    first, second = UserFactory(is_staff=True), UserFactory(is_staff=True)

    outcomes = at_once(
        lambda: content_approve(item=item, moderator=first),
        lambda: content_remove(item=item, moderator=second),
    )

    assert outcomes == [True, True]  # applied one after the other, the last one stands
    decisions = list(
        EventRecord.objects.filter(
            type__in=["events.ContentApproved", "events.ContentRemoved"]
        ).order_by("occurred_at")
    )
    last = decisions[-1].type
    item.refresh_from_db()
    assert (
        item.state
        == {"events.ContentApproved": "approved", "events.ContentRemoved": "removed"}[last]
    )
    assert Article.objects.get().hidden is (item.state == "removed")
    assert_counters_exact()
