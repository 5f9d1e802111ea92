"""Reads are remembered until a business change renews one of their scopes, and never after."""

from unittest import mock

import pytest
from django.core.cache import caches

from articles.models import Article
from articles.reads import LISTS, ROWS, article_scope
from articles.tests.factories import ArticleFactory, FavoriteFactory
from conduit.readcache import (
    EVERYTHING,
    LOOKUPS,
    HostStamps,
    clear_memory,
    forget_reads,
    read_through,
    remembered,
    stamp_key,
)
from users.models import User
from users.tests.factories import FollowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def read_cache(settings):
    settings.READ_CACHE_SECONDS = 60
    yield
    clear_memory()


def counter() -> tuple[list[int], object]:
    computed: list[int] = []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    return computed, compute


def test_read_through_remembers_until_one_of_its_scopes_is_forgotten():
    _, compute = counter()
    scopes = (LISTS, article_scope(7))

    assert read_through(scopes, ("answer", 42), compute) == 1
    assert read_through(scopes, ("answer", 42), compute) == 1
    assert read_through(scopes, ("answer", 43), compute) == 2, "other parts, other entry"
    forget_reads(article_scope(8))
    assert read_through(scopes, ("answer", 42), compute) == 1, "another article's scope"
    forget_reads(article_scope(7))
    assert read_through(scopes, ("answer", 42), compute) == 3
    forget_reads(LISTS)
    assert read_through(scopes, ("answer", 42), compute) == 4
    forget_reads(EVERYTHING)
    assert read_through(scopes, ("answer", 42), compute) == 5


def test_a_renewed_read_takes_the_place_of_its_older_version():
    # An entry under stamps that were renewed is never read again: kept beside the new one,
    # such versions were most of a process's memory under a mix of reads and writes.
    _, compute = counter()
    for version in range(1, 51):
        assert read_through((LISTS,), ("page",), compute) == version
        assert read_through((LISTS,), ("page",), compute) == version
        forget_reads(LISTS)

    assert remembered() == 1


def test_the_memory_keeps_at_most_read_cache_entries_the_latest_used(settings):
    settings.READ_CACHE_ENTRIES = 10
    _, compute = counter()
    for n in range(25):  # kept out of the shared cache: the process's memory alone
        read_through((LISTS,), ("page", n), compute, shared=False)

    assert remembered() == 10
    assert read_through((LISTS,), ("page", 24), compute, shared=False) == 25, "latest kept"
    assert read_through((LISTS,), ("page", 0), compute, shared=False) == 26, "oldest dropped"
    assert remembered() == 10


def test_a_stamp_the_shared_cache_lost_forgets_what_was_remembered_under_it():
    _, compute = counter()
    read_through((LISTS,), ("page",), compute)
    forget_reads(LISTS)
    read_through((LISTS,), ("page",), compute)

    caches["default"].delete(stamp_key(LISTS))  # evicted, or the cache restarted

    assert read_through((LISTS,), ("page",), compute) == 3
    assert read_through((LISTS,), ("page",), compute) == 3


def test_another_process_reads_what_one_computed_from_the_shared_cache():
    _, compute = counter()
    assert read_through((LISTS,), ("page",), compute) == 1

    clear_memory()  # another process: its own memory, the same shared cache

    assert read_through((LISTS,), ("page",), compute) == 1
    forget_reads(LISTS)
    clear_memory()
    assert read_through((LISTS,), ("page",), compute) == 2


def test_the_user_behind_a_token_never_reaches_the_shared_cache(client_for, alice):
    shared = caches["default"]
    with mock.patch.object(shared, "set", wraps=shared.set) as stored:
        assert client_for(alice).get("/api/user").status_code == 200
        ArticleFactory(author=alice)
        assert client_for(alice).get("/api/articles").status_code == 200

    values = [call.args[1] for call in stored.call_args_list]
    assert values, "the list's page went to the shared cache"
    assert not [value for value in values if isinstance(value, User)]


def test_hits_and_misses_are_counted():
    results = [LOOKUPS.labels(result) for result in ("hit", "shared", "miss")]
    before = [result._value.get() for result in results]
    _, compute = counter()

    read_through((LISTS,), ("counted",), compute)
    read_through((LISTS,), ("counted",), compute)
    read_through((LISTS,), ("counted",), compute)
    clear_memory()
    read_through((LISTS,), ("counted",), compute)

    assert [r._value.get() - b for r, b in zip(results, before, strict=True)] == [2, 1, 1]


def test_the_stamps_of_one_host_are_shared_through_a_mapped_file(tmp_path, settings):
    settings.READ_CACHE_STAMPS = str(tmp_path / "stamps")
    _, compute = counter()
    assert read_through((LISTS,), ("page",), compute) == 1
    assert read_through((LISTS,), ("page",), compute) == 1

    # Another process of the host maps the same file and forgets the lists.
    HostStamps(tmp_path / "stamps").renew((LISTS,))

    assert read_through((LISTS,), ("page",), compute) == 2
    assert read_through((ROWS,), ("rows",), compute) == 3
    HostStamps(tmp_path / "stamps").renew((LISTS,))
    assert read_through((ROWS,), ("rows",), compute) == 3, "another scope's stamp is its own"


def test_read_through_computes_every_time_when_turned_off(settings):
    settings.READ_CACHE_SECONDS = 0
    computed = []

    read_through((LISTS,), ("x",), lambda: computed.append(1))
    read_through((LISTS,), ("x",), lambda: computed.append(1))

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
        # The answer is read before the commit's forgetting ran: the renamed row all the same.
        edited = client_for(alice).put(path, {"article": {"title": "After"}}, format="json")
    assert (edited.status_code, edited.json()["article"]["title"]) == (200, "After")
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


def test_a_readers_marks_are_remembered_whole_so_a_new_article_leaves_them(
    client_for, alice, bob, django_capture_on_commit_callbacks, django_assert_num_queries
):
    favorite = ArticleFactory(author=bob)
    FavoriteFactory(user=alice, article=favorite)
    client = client_for(alice)
    client.post(f"/api/profiles/{bob.username}/follow")
    client.get("/api/articles")

    with django_capture_on_commit_callbacks(execute=True):
        client_for(bob).post(
            "/api/articles",
            {"article": {"title": "New", "description": "d", "body": "b"}},
            format="json",
        )
    with django_assert_num_queries(2):  # the page and its total; the marks are remembered
        articles = client.get("/api/articles").json()["articles"]

    assert [(a["title"], a["favorited"], a["author"]["following"]) for a in articles] == [
        ("New", False, True),
        (favorite.title, True, True),
    ]


def test_a_reader_with_more_marks_than_remembered_whole_gets_them_per_page(
    client_for, alice, bob, monkeypatch
):
    monkeypatch.setattr("articles.marks.WHOLE_MARKS_LIMIT", 1)
    first, second = ArticleFactory(author=bob), ArticleFactory(author=bob)
    FavoriteFactory(user=alice, article=first)
    FavoriteFactory(user=alice, article=second)

    articles = client_for(alice).get("/api/articles?limit=1").json()["articles"]

    assert [(a["slug"], a["favorited"]) for a in articles] == [(second.slug, True)]


def test_a_new_follower_sees_the_authors_next_article_in_their_feed(
    client_for, alice, bob, charlie, django_capture_on_commit_callbacks
):
    # Who follows bob is remembered for his next article's forgetting of their feeds
    # (users.selectors.follower_ids): charlie's follow must renew it.
    FollowFactory(follower=alice, followed=bob)
    body = {"article": {"title": "First", "description": "d", "body": "b"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(bob).post("/api/articles", body, format="json").status_code == 201
    assert client_for(charlie).get("/api/articles/feed").json()["articlesCount"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        client_for(charlie).post(f"/api/profiles/{bob.username}/follow")
    assert client_for(charlie).get("/api/articles/feed").json()["articlesCount"] == 1

    body = {"article": {"title": "Second", "description": "d", "body": "b"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(bob).post("/api/articles", body, format="json").status_code == 201

    feed = client_for(charlie).get("/api/articles/feed").json()
    assert [article["title"] for article in feed["articles"]] == ["Second", "First"]
