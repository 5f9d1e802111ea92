"""SearchPerformed: GET /articles answered 200 with a tag, author or favorited filter
publishes one per filter (outside the audit trail), with the answer's articlesCount; a flush
adds them to the day's counts per kind and value."""

from datetime import UTC, datetime

import pytest

from articles.tests.factories import ArticleFactory, FavoriteFactory
from events.models import EventRecord
from events.system.analytics import flush
from events.system.analytics.events import SearchPerformed
from events.system.analytics.models import SearchCount

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(alice, bob):
    ArticleFactory(author=alice, tag_list=["dragons"])
    ArticleFactory(author=alice, tag_list=["dragons", "knights"])
    FavoriteFactory(user=bob, article=ArticleFactory(author=bob, tag_list=["knights"]))


def counts() -> set[tuple]:
    return set(
        SearchCount.objects.values_list("day", "kind", "value", "searches", "results", "empty")
    )


def test_a_search_by_tag_publishes_its_kind_value_and_results(api_client, library, mock_event_bus):
    response = api_client.get("/api/articles", {"tag": "dragons"})

    assert response.status_code == 200
    mock_event_bus.assert_published_exactly(
        [SearchPerformed(kind="tag", value="dragons", results=2)]
    )


def test_two_filters_are_two_searches_with_the_results_of_both(api_client, library, mock_event_bus):
    response = api_client.get("/api/articles", {"author": "alice", "tag": "knights", "limit": 1})

    assert response.json()["articlesCount"] == 1
    mock_event_bus.assert_published_exactly(
        [
            SearchPerformed(kind="tag", value="knights", results=1),
            SearchPerformed(kind="author", value="alice", results=1),
        ]
    )


def test_the_plain_list_a_blank_filter_and_a_refused_search_are_no_searches(
    api_client, library, mock_event_bus
):
    assert api_client.get("/api/articles").status_code == 200
    assert api_client.get("/api/articles", {"tag": ""}).status_code == 200
    assert api_client.get("/api/articles", {"author": "  ", "q": " "}).status_code == 200
    assert api_client.get("/api/articles", {"tag": "dragons", "limit": "x"}).status_code == 422

    mock_event_bus.assert_nothing_published()


def test_searches_are_counted_per_day_kind_and_value_after_the_flush(
    api_client, library, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for params in (
            {"tag": "dragons"},
            {"tag": "dragons", "offset": 1},
            {"tag": "unicorns"},
            {"favorited": "bob"},
            {"author": "alice"},
        ):
            assert api_client.get("/api/articles", params).status_code == 200

    assert counts() == set()
    assert flush.flush()["searches"] == 5

    today = datetime.now(UTC).date()
    assert counts() == {
        (today, "tag", "dragons", 2, 4, 0),
        (today, "tag", "unicorns", 1, 0, 1),
        (today, "favorited", "bob", 1, 1, 0),
        (today, "author", "alice", 1, 2, 0),
    }
    assert not EventRecord.objects.filter(type="events.SearchPerformed").exists()


def test_a_long_value_is_kept_to_two_hundred_characters(api_client, library, mock_event_bus):
    api_client.get("/api/articles", {"tag": "x" * 300})

    mock_event_bus.assert_published_exactly(
        [SearchPerformed(kind="tag", value="x" * 200, results=0)]
    )
