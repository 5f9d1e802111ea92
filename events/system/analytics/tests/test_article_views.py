"""ArticleViewIncremented: GET /articles/{slug} answered 200 publishes it (outside the audit
trail); its inline receiver tallies the view, and a flush adds the tally to the article's
count. Exact under concurrent reads, and under flushes of several processes at once."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from articles.tests.factories import ArticleFactory
from events.models import EventRecord
from events.system.analytics import flush, services
from events.system.analytics.events import ArticleViewIncremented
from events.system.analytics.models import ArticleViews

pytestmark = pytest.mark.django_db


def read(client, slug: str, times: int = 1) -> list[int]:
    return [client.get(f"/api/articles/{slug}").status_code for _ in range(times)]


def views_of(article) -> int | None:
    return ArticleViews.objects.filter(article=article).values_list("views", flat=True).first()


def test_reading_an_article_publishes_a_view_of_it(api_client, alice, mock_event_bus):
    article = ArticleFactory(author=alice, title="Dragons")

    assert read(api_client, article.slug) == [200]

    mock_event_bus.assert_published_exactly(
        [ArticleViewIncremented(article_id=article.pk, slug=article.slug)]
    )


def test_views_are_counted_after_the_flush_and_stay_out_of_the_audit_trail(
    api_client, client_for, alice, bob, django_capture_on_commit_callbacks
):
    dragons = ArticleFactory(author=alice, title="Dragons")
    knights = ArticleFactory(author=alice, title="Knights")

    with django_capture_on_commit_callbacks(execute=True):
        statuses = read(api_client, dragons.slug, 3) + read(client_for(bob), knights.slug)

    assert statuses == [200] * 4
    assert views_of(dragons) is None  # not before the flush
    assert flush.flush()["views"] == 4
    assert (views_of(dragons), views_of(knights)) == (3, 1)
    assert not EventRecord.objects.filter(type="events.ArticleViewIncremented").exists()

    with django_capture_on_commit_callbacks(execute=True):
        read(api_client, dragons.slug, 2)
    flush.flush()

    assert views_of(dragons) == 5


def test_a_missing_article_counts_no_view(api_client, alice, mock_event_bus):
    ArticleFactory(author=alice, title="Dragons")

    assert read(api_client, "no-such-article") == [404]

    mock_event_bus.assert_nothing_published()
    assert flush.flush().get("views", 0) == 0
    assert not ArticleViews.objects.exists()


def test_writes_that_answer_with_the_article_count_no_view(client_for, alice, bob, mock_event_bus):
    article = ArticleFactory(author=alice, title="Dragons")

    assert client_for(bob).post(f"/api/articles/{article.slug}/favorite").status_code == 200

    assert not mock_event_bus.events_of(ArticleViewIncremented)


def test_with_counting_off_a_read_publishes_nothing(api_client, alice, mock_event_bus, settings):
    settings.ANALYTICS_ENABLED = False
    article = ArticleFactory(author=alice, title="Dragons")

    assert read(api_client, article.slug) == [200]

    mock_event_bus.assert_nothing_published()


def test_views_of_an_article_deleted_before_the_flush_are_dropped(
    api_client, alice, django_capture_on_commit_callbacks
):
    kept, gone = ArticleFactory(author=alice), ArticleFactory(author=alice)
    with django_capture_on_commit_callbacks(execute=True):
        read(api_client, kept.slug)
        read(api_client, gone.slug, 2)
    gone.delete()

    assert flush.flush()["views"] == 1
    assert list(ArticleViews.objects.values_list("article_id", "views")) == [(kept.pk, 1)]


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_reading_one_article_leave_the_exact_count(alice):
    article = ArticleFactory(author=alice, title="Dragons")
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def reader() -> None:
        try:
            barrier.wait()
            statuses.extend(read(APIClient(), article.slug, 5))
        finally:
            connection.close()

    threads = [threading.Thread(target=reader) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 100
    assert flush.flush()["views"] == 100
    assert views_of(article) == 100


@pytest.mark.django_db(transaction=True)
def test_flushes_of_several_processes_at_once_add_up(alice):
    """Each process flushes its own tally; their upserts race on the same rows and lose
    nothing (one process per thread here, each on its own connection)."""
    first, second = ArticleFactory(author=alice), ArticleFactory(author=alice)
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def process_flush(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                with transaction.atomic():
                    services.views_add({first.pk: n, second.pk: 1}, now=datetime.now(UTC))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=process_flush, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert (views_of(first), views_of(second)) == (5 * sum(range(1, 9)), 5 * 8)
