"""Moderation and full-text search: a removed article leaves the search index through the
worker (it is out of every search at once, visibility being checked on the rows), an approved
one comes back; a decision about a comment leaves its article's entry alone."""

import pytest

from articles.models import Article
from articles.search import search_index_size
from events import bus
from events.system.moderation.events import ContentApproved, ContentHidden, ContentRemoved
from events.system.moderation.services import content_approve, content_flag, content_remove

pytestmark = pytest.mark.django_db

HANDLER = "events.system.moderation.receivers.reindex_moderated_article"


def found(api_client, q: str) -> tuple[list[str], int]:
    body = api_client.get("/api/articles", {"q": q}).json()
    return [article["title"] for article in body["articles"]], body["articlesCount"]


def test_every_decision_that_changes_visibility_refreshes_the_index_in_the_worker():
    for event_type in (ContentHidden, ContentApproved, ContentRemoved):
        assert HANDLER in bus.shared_event_bus.subscribers(event_type)["background"]


def test_a_removed_article_leaves_the_index_and_an_approved_one_comes_back(
    alice, bob, moderator, client_for, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for title in ("Kept dragon", "Doubtful dragon"):
            article = {"title": title, "description": "d", "body": "b"}
            client_for(alice).post("/api/articles", {"article": article}, format="json")
    doubtful = Article.objects.get(title="Doubtful dragon")
    item = content_flag(user=bob, article=doubtful, reason="spam").item
    assert found(api_client, "dragon") == (["Doubtful dragon", "Kept dragon"], 2)

    with django_capture_on_commit_callbacks(execute=True):
        content_remove(item=item, moderator=moderator)
    assert found(api_client, "dragon") == (["Kept dragon"], 1)
    assert search_index_size() == 1

    with django_capture_on_commit_callbacks(execute=True):
        content_approve(item=item, moderator=moderator)
    assert found(api_client, "dragon") == (["Doubtful dragon", "Kept dragon"], 2)
    assert search_index_size() == 2
