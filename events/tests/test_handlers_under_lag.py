"""Handlers that run late (the worker behind a burst of writes) are as exact as handlers that
run at once: they read the event, not only the state at run time."""

import pytest
from django.tasks import TaskResultStatus

from articles.models import Article
from articles.services import article_create
from events.outbox import deliveries
from events.system.analytics.tests.test_milestones import milestones, reached
from events.system.moderation.models import ModerationItem
from events.testing import assert_same_events
from events.worker import run_deliveries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lagging_worker(settings):
    """Deliveries wait until the test runs them all, after the burst."""
    settings.EVENTS_DELIVER_ON_COMMIT = False


def burst(author, n: int, body: str) -> list[Article]:
    return [
        article_create(author=author, title=f"Post {i}", description="d", body=body)
        for i in range(n)
    ]


def run_the_backlog() -> None:
    waiting = deliveries().filter(status=TaskResultStatus.READY).order_by("enqueued_at", "pk")
    run_deliveries(list(waiting.values_list("pk", flat=True)))


def test_ten_articles_handled_after_the_burst_announce_milestones_1_and_10_once(alice):
    burst(alice, 10, "An ordinary post.")
    assert milestones() == []

    run_the_backlog()

    assert_same_events(
        milestones(alice),
        [reached(alice, "articles_written", 1, 10), reached(alice, "articles_written", 10, 10)],
    )


def test_ten_identical_posts_scored_after_the_burst_count_only_those_before(alice):
    """The first is no repeat, the second one repeat (30 points, under the flag score), the
    third two (flagged), from the fourth on hidden."""
    posts = burst(alice, 10, "Exactly the same words every time.")

    run_the_backlog()

    items = {item.article_id: item for item in ModerationItem.objects.all()}
    assert posts[0].pk not in items and posts[1].pk not in items
    assert "repeated: 2 earlier" in items[posts[2].pk].flags.get().note
    hidden = set(Article.objects.filter(hidden=True).values_list("pk", flat=True))
    assert hidden == {post.pk for post in posts[3:]}
