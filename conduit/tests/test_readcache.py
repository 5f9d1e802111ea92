"""Reads are remembered until a business change publishes an event, and never after."""

import pytest
from django.core.cache import caches

from articles.models import Article
from articles.tests.factories import ArticleFactory, FavoriteFactory
from conduit.readcache import invalidate_read_cache, read_through

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def read_cache(settings):
    settings.READ_CACHE_SECONDS = 60
    yield
    caches["reads"].clear()


def test_read_through_remembers_until_the_cache_is_invalidated():
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    assert read_through(("answer", 42), compute) == 1
    assert read_through(("answer", 42), compute) == 1
    assert read_through(("answer", 43), compute) == 2, "other parts, other entry"
    invalidate_read_cache()
    assert read_through(("answer", 42), compute) == 3


def test_read_through_computes_every_time_when_turned_off(settings):
    settings.READ_CACHE_SECONDS = 0
    computed = []

    read_through(("x",), lambda: computed.append(1))
    read_through(("x",), lambda: computed.append(1))

    assert len(computed) == 2


def test_an_article_is_served_from_memory_until_a_business_change(
    api_client, client_for, alice, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=alice, title="Before")
    path = f"/api/articles/{article.slug}"
    assert api_client.get(path).json()["article"]["title"] == "Before"

    Article.objects.filter(pk=article.pk).update(title="Changed behind the services' back")
    assert api_client.get(path).json()["article"]["title"] == "Before", "remembered"

    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).put(path, {"article": {"title": "After"}}, format="json")
    assert api_client.get(path).status_code == 404, "the old slug is gone at once"
    fresh = api_client.get(f"/api/articles/{article.slug.replace('before', 'after')}")
    assert fresh.json()["article"]["title"] == "After"


def test_favorited_and_following_are_the_viewers_own(
    client_for, alice, bob, charlie, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=bob)
    FavoriteFactory(user=alice, article=article)
    path = f"/api/articles/{article.slug}"

    as_alice = client_for(alice).get(path).json()["article"]
    as_charlie = client_for(charlie).get(path).json()["article"]

    assert (as_alice["favorited"], as_charlie["favorited"]) == (True, False)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(charlie).post(f"/api/profiles/{bob.username}/follow")
    as_charlie = client_for(charlie).get("/api/articles").json()["articles"][0]
    assert as_charlie["author"]["following"] is True
    assert client_for(alice).get(path).json()["article"]["author"]["following"] is False


def test_a_deleted_article_stops_being_served_at_once(
    api_client, client_for, alice, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=alice)
    assert api_client.get("/api/articles").json()["articlesCount"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).delete(f"/api/articles/{article.slug}")

    assert api_client.get("/api/articles").json() == {"articles": [], "articlesCount": 0}
    assert api_client.get(f"/api/articles/{article.slug}").status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/articles", "/api/articles/feed", "/api/tags", "/api/profiles/bob"]
)
def test_a_warm_read_costs_no_query_at_all(client_for, alice, bob, path, django_assert_num_queries):
    article = ArticleFactory(author=bob, tag_list=["x"])
    FavoriteFactory(user=alice, article=article)
    client = client_for(alice)
    first = client.get(path).json()

    with django_assert_num_queries(0):
        again = client.get(path).json()

    assert again == first
