"""PopularTagDetected: when an article's tags are attached (TagUsed), a worker receiver reads
the tag's article count and announces the threshold (10, 100, 1000...) it reached, once per
(tag name, threshold): never again after the count falls and rises, or after the tag is
deleted and used again."""

import threading

import pytest
from django.db import connection

from articles.models import Article
from articles.services import article_create, article_delete, article_update
from events.models import EventRecord
from events.outbox import event_from_record
from events.system.analytics.events import PopularTagDetected
from events.system.analytics.models import PopularTag
from events.system.analytics.services import popular_tag_check
from events.testing import assert_same_events
from tags.models import Tag
from tags.services import tags_delete_unused

pytestmark = pytest.mark.django_db


def detected() -> list[PopularTagDetected]:
    records = EventRecord.objects.filter(type="events.PopularTagDetected").order_by("occurred_at")
    return [event_from_record(record) for record in records]


def popular(name: str, threshold: int, count: int) -> PopularTagDetected:
    return PopularTagDetected(name=name, threshold=threshold, articles_count=count)


@pytest.fixture
def write(django_capture_on_commit_callbacks, alice):
    """Create an article with tags through the service, its after-commit work (the worker's
    deliveries, under pytest) done."""

    def create(*tags: str) -> Article:
        n = Article.objects.count() + Tag.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            return article_create(
                author=alice, title=f"On {n}", description="d", body=f"Text {n}", tag_list=tags
            )

    return create


def test_the_tenth_article_with_a_tag_makes_it_popular_once(
    client_for, alice, write, django_capture_on_commit_callbacks
):
    for _ in range(9):
        write("dragons", "knights")
    assert detected() == []

    body = {"article": {"title": "Ten", "description": "d", "body": "x", "tagList": ["dragons"]}}
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(alice).post("/api/articles", body, format="json").status_code == 201
    write("dragons")

    assert_same_events(detected(), [popular("dragons", 10, 10)])
    assert list(PopularTag.objects.values_list("name", "threshold", "articles_count")) == [
        ("dragons", 10, 10)
    ]


def test_a_tag_that_falls_under_ten_and_rises_again_is_not_announced_again(
    alice, write, django_capture_on_commit_callbacks
):
    articles = [write("dragons") for _ in range(10)]
    retagged = write("knights")
    with django_capture_on_commit_callbacks(execute=True):
        article_delete(article=articles[0], user=alice)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article_update(article=retagged, user=alice, tag_list=["knights", "dragons"])
    write("dragons")

    assert callbacks, "the retag's deliveries ran"
    assert Tag.objects.get(name="dragons").articles_count == 11
    assert_same_events(detected(), [popular("dragons", 10, 10)])


def test_a_tag_deleted_and_used_again_is_not_announced_again(alice, write):
    for article in [write("dragons") for _ in range(10)]:
        article_delete(article=article, user=alice)
    tags_delete_unused()
    assert not Tag.objects.filter(name="dragons").exists()

    for _ in range(10):
        write("dragons")

    assert_same_events(detected(), [popular("dragons", 10, 10)])


def test_fewer_than_ten_articles_make_no_tag_popular(write):
    for _ in range(9):
        write("dragons")

    assert detected() == []
    assert popular_tag_check(name="dragons", articles_count=9) == []


@pytest.mark.django_db(transaction=True)
def test_two_checks_of_one_threshold_at_once_announce_it_once():
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def check() -> None:
        try:
            barrier.wait()
            results.append(popular_tag_check(name="dragons", articles_count=100))
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results, key=len) == [[], [10, 100]]
    assert_same_events(detected(), [popular("dragons", 10, 100), popular("dragons", 100, 100)])
