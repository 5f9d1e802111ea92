"""The counters behind articlesCount and favoritesCount stay equal to a recount."""

from io import StringIO

import pytest
from django.core.management import call_command

from articles.counters import counters_rebuild, counters_snapshot
from articles.models import Article, AuthorStats
from articles.services import (
    article_create,
    article_delete,
    article_favorite,
    article_unfavorite,
    article_update,
)

pytestmark = pytest.mark.django_db


def recounted() -> dict[str, int]:
    counters_rebuild()
    return counters_snapshot()


def test_services_keep_every_counter_equal_to_a_recount(alice, bob, charlie):
    first = article_create(
        author=alice, title="One", description="d", body="b", tag_list=["x", "y"]
    )
    second = article_create(author=alice, title="Two", description="d", body="b", tag_list=["y"])
    third = article_create(author=bob, title="Three", description="d", body="b", tag_list=["z"])
    article_favorite(article=first, user=bob)
    article_favorite(article=first, user=charlie)
    article_favorite(article=second, user=bob)
    article_favorite(article=second, user=bob)  # a repeat counts once
    article_unfavorite(article=second, user=charlie)  # not a favorite: changes nothing
    article_update(article=second, user=alice, tag_list=["x"])
    article_delete(article=first, user=alice)

    kept = counters_snapshot()

    assert kept == recounted()
    assert kept["total"] == 2
    assert kept["tag:x"] == 1 and "tag:y" not in kept and kept["tag:z"] == 1
    assert kept[f"author:{alice.pk}:articles"] == 1
    assert kept[f"author:{bob.pk}:favorites"] == 1, "the favorite of the deleted article is gone"
    assert f"author:{charlie.pk}:favorites" not in kept
    assert kept[f"article:{second.pk}:favorites"] == 1
    assert kept[f"article:{third.pk}:favorites"] == 0


def test_the_list_reads_its_totals_from_the_counters(api_client, alice, bob):
    article_create(author=alice, title="One", description="d", body="b", tag_list=["x"])
    article_create(author=bob, title="Two", description="d", body="b", tag_list=["x"])
    AuthorStats.objects.filter(pk=alice.pk).update(articles_count=41)  # pretend drift

    by_alice = api_client.get("/api/articles", {"author": "alice"}).json()
    by_tag = api_client.get("/api/articles", {"tag": "x"}).json()
    combined = api_client.get("/api/articles", {"tag": "x", "author": "alice"}).json()

    assert by_alice["articlesCount"] == 41, "read from the counter"
    assert len(by_alice["articles"]) == 1
    assert by_tag["articlesCount"] == 2
    assert combined["articlesCount"] == 1, "a combination is counted"


def test_articles_recount_repairs_drift(alice):
    article = article_create(author=alice, title="One", description="d", body="b")
    Article.objects.filter(pk=article.pk).update(favorites_count=9)
    out = StringIO()

    call_command("articles_recount", "--dry-run", stdout=out)
    assert f"article:{article.pk}:favorites: 9 -> 0" in out.getvalue()
    assert Article.objects.get(pk=article.pk).favorites_count == 9

    call_command("articles_recount", stdout=StringIO())
    assert Article.objects.get(pk=article.pk).favorites_count == 0
