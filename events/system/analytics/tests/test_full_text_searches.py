"""A full-text search (GET /articles?q=) is a search of kind "q" for analytics, like the
filters; a blank query, which the list ignores, is none."""

import pytest

from articles.search import search_index_rebuild
from articles.tests.factories import ArticleFactory
from events.system.analytics.events import SearchPerformed

pytestmark = pytest.mark.django_db


def test_a_full_text_search_is_published_as_kind_q_beside_the_filters(api_client, mock_event_bus):
    ArticleFactory(title="Counted dragon", tag_list=["lore"])
    search_index_rebuild()

    searched = api_client.get("/api/articles", {"q": "dragons ", "tag": "lore"})
    blank = api_client.get("/api/articles", {"q": " "})

    assert searched.json()["articlesCount"] == 1
    assert blank.json()["articlesCount"] == 1
    mock_event_bus.assert_published_exactly(
        [
            SearchPerformed(kind="tag", value="lore", results=1),
            SearchPerformed(kind="q", value="dragons ", results=1),
        ]
    )
