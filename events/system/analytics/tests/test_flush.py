"""The flusher: counts reach the database by themselves every ANALYTICS_FLUSH_SECONDS, and a
failed flush keeps its counts for the next one."""

import time

import pytest
from rest_framework.test import APIClient

from articles.tests.factories import ArticleFactory
from events.system.analytics import flush, services, tally
from events.system.analytics.models import ArticleViews

pytestmark = pytest.mark.django_db


def views_of(article) -> int | None:
    return ArticleViews.objects.filter(article=article).values_list("views", flat=True).first()


def test_a_failed_flush_keeps_its_counts_for_the_next_one(
    api_client, alice, monkeypatch, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=alice)
    with django_capture_on_commit_callbacks(execute=True):
        api_client.get(f"/api/articles/{article.slug}")
        api_client.get(f"/api/articles/{article.slug}")

    def database_down(*args, **kwargs):
        raise ConnectionError("the database is down")

    with monkeypatch.context() as patched:
        patched.setattr(services, "views_add", database_down)
        assert flush.flush() == {}
    with django_capture_on_commit_callbacks(execute=True):
        api_client.get(f"/api/articles/{article.slug}")

    assert views_of(article) is None
    assert flush.flush()["views"] == 3
    assert views_of(article) == 3


def test_nothing_starts_a_flusher_while_the_interval_is_zero(api_client):
    api_client.get("/api/tags")

    assert flush._thread is None


@pytest.mark.django_db(transaction=True)
def test_the_flusher_writes_the_counts_by_itself(settings, alice):
    settings.ANALYTICS_FLUSH_SECONDS = 0.05
    article = ArticleFactory(author=alice)
    try:
        for _ in range(3):
            assert APIClient().get(f"/api/articles/{article.slug}").status_code == 200
        assert flush._thread is not None, "the first request started it"
        deadline = time.monotonic() + 10
        while views_of(article) != 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        flush.stop_flusher()

    assert views_of(article) == 3
    assert list(tally.views) == []


def test_a_forked_child_starts_with_nothing_of_its_parents(alice):
    tally.view_seen(1)
    tally.request_seen()

    flush._forked()

    assert (list(tally.views), list(tally.requests), flush._thread) == ([], [], None)
