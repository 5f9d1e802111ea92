"""UserEngagementMilestone: after a write that may have crossed one (an article written, a
favorite received, a follower gained, a comment written), a worker receiver reads the count
and announces the milestone (1, 10, 100...) it reached, once per (user, kind, milestone),
whatever the order, the concurrency, or a count that falls and rises again."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from articles.events import ArticleFavorited
from articles.services import article_create, article_delete
from articles.tests.factories import ArticleFactory
from articles.tests.test_races import at_once
from conduit.auth import issue_token
from events.models import EventRecord
from events.outbox import event_from_record
from events.system.analytics.events import UserEngagementMilestone
from events.system.analytics.models import Milestone
from events.system.analytics.receivers import check_favorites_received
from events.system.analytics.services import milestone_check, milestone_of
from events.testing import assert_same_events
from users.services import user_follow
from users.tests.factories import FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def milestones(user=None) -> list[UserEngagementMilestone]:
    records = EventRecord.objects.filter(type="events.UserEngagementMilestone")
    events = [event_from_record(record) for record in records.order_by("occurred_at")]
    return [event for event in events if user is None or event.user_id == user.pk]


def reached(user, kind: str, milestone: int, count: int) -> UserEngagementMilestone:
    return UserEngagementMilestone(user_id=user.pk, kind=kind, milestone=milestone, count=count)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's after-commit work (dispatch, worker deliveries) as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def post_article(client, title: str = "Dragons") -> int:
    body = {"article": {"title": title, "description": "d", "body": f"All about {title}."}}
    return client.post("/api/articles", body, format="json").status_code


def test_alices_first_article_is_a_milestone_and_her_second_is_not(client_for, alice, committed):
    with committed():
        assert post_article(client_for(alice), "First") == 201
    with committed():
        assert post_article(client_for(alice), "Second") == 201

    assert_same_events(milestones(), [reached(alice, "articles_written", 1, 1)])
    assert Milestone.objects.filter(user=alice).count() == 1


def test_a_deleted_and_rewritten_article_reaches_no_milestone_twice(client_for, alice, committed):
    with committed():
        post_article(client_for(alice), "First")
    slug = alice.articles.get().slug
    with committed():
        assert client_for(alice).delete(f"/api/articles/{slug}").status_code == 204
    with committed():
        post_article(client_for(alice), "First again")

    assert_same_events(milestones(), [reached(alice, "articles_written", 1, 1)])


def test_the_tenth_article_is_the_next_milestone(client_for, alice, committed):
    for n in range(9):
        with committed():
            article_create(author=alice, title=f"Article {n}", description="d", body=f"Text {n}")
    with committed():
        assert post_article(client_for(alice), "The tenth") == 201

    assert_same_events(
        milestones(),
        [reached(alice, "articles_written", 1, 1), reached(alice, "articles_written", 10, 10)],
    )


def test_a_favorite_received_a_follower_and_a_comment_written_are_milestones(
    client_for, alice, bob, committed
):
    article = ArticleFactory(author=alice, title="Dragons")
    with committed():
        assert client_for(bob).post(f"/api/articles/{article.slug}/favorite").status_code == 200
    with committed():
        assert client_for(bob).post("/api/profiles/alice/follow").status_code == 200
    with committed():
        comment = {"comment": {"body": "Lovely"}}
        path = f"/api/articles/{article.slug}/comments"
        assert client_for(bob).post(path, comment, format="json").status_code == 201

    assert_same_events(
        milestones(),
        [
            reached(alice, "favorites_received", 1, 1),
            reached(alice, "followers", 1, 1),
            reached(bob, "comments_written", 1, 1),
        ],
    )


def test_an_unfollow_and_follow_again_reaches_no_second_milestone(
    client_for, alice, bob, committed
):
    for method in ("post", "delete", "post"):
        with committed():
            getattr(client_for(bob), method)("/api/profiles/alice/follow")

    assert_same_events(milestones(), [reached(alice, "followers", 1, 1)])


def test_a_count_found_past_milestones_announces_every_one_crossed_once():
    user = UserFactory()

    assert milestone_check(user_id=user.pk, kind="comments_written", count=57) == [1, 10]
    assert milestone_check(user_id=user.pk, kind="comments_written", count=58) == []
    assert milestone_check(user_id=user.pk, kind="comments_written", count=0) == []
    assert milestone_check(user_id=user.pk, kind="comments_written", count=1234) == [100, 1000]
    assert [milestone_of(n) for n in (0, 1, 9, 10, 99, 100, 1234)] == [
        None,
        1,
        1,
        10,
        10,
        100,
        1000,
    ]
    assert_same_events(
        milestones(),
        [
            reached(user, "comments_written", 1, 57),
            reached(user, "comments_written", 10, 57),
            reached(user, "comments_written", 100, 1234),
            reached(user, "comments_written", 1000, 1234),
        ],
    )


@pytest.mark.django_db(transaction=True)
def test_two_followers_crossing_alices_tenth_at_once_announce_it_once(alice):
    for follower in UserFactory.create_batch(8):
        FollowFactory(follower=follower, followed=alice)
    with_one_more = UserFactory()
    user_follow(follower=with_one_more, followed=alice)  # the 9th: milestone 1 is announced
    bob, charlie = UserFactory(), UserFactory()

    def follow(user) -> Callable[[], int]:
        def request() -> int:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
            return client.post("/api/profiles/alice/follow").status_code

        return request

    assert at_once(follow(bob), follow(charlie)) == [200, 200]

    announced = [event for event in milestones(alice) if event.milestone == 10]
    assert len(announced) == 1
    assert announced[0].kind == "followers" and announced[0].count in (10, 11)
    assert Milestone.objects.filter(user=alice, kind="followers", milestone=10).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_checks_of_one_milestone_at_once_announce_it_once(alice):
    def check() -> bool:
        return milestone_check(user_id=alice.pk, kind="favorites_received", count=100)

    assert sorted(at_once(check, check), key=len) == [[], [1, 10, 100]]
    assert_same_events(
        milestones(),
        [reached(alice, "favorites_received", milestone, 100) for milestone in (1, 10, 100)],
    )


def test_a_favorite_checked_after_its_article_was_deleted_announces_nothing(alice, bob):
    article = article_create(author=alice, title="Short-lived", description="d", body="b")
    article_delete(article=article, user=alice)

    check_favorites_received(
        ArticleFavorited(article_id=article.pk, user_id=bob.pk, favorites_count=1)
    )

    assert milestones() == []
    assert not Milestone.objects.exists()
