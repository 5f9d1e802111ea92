"""Full-text search, GET /api/articles?q=words: the index follows every create, edit, delete
and hide through the worker's handler (run right after commit here), ranks title matches
first, combines with the filters and paging with an exact articlesCount, and converges after
failures and rebuilds."""

from contextlib import contextmanager
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus

from articles import search, search_queries
from articles.models import Article
from articles.search import search_index_refresh, search_index_size, update_search_index
from articles.services import article_set_hidden
from articles.tests.factories import ArticleFactory
from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliver_event, deliveries
from events.worker import build_worker

pytestmark = pytest.mark.django_db

HANDLER = "articles.search.update_search_index"


@pytest.fixture(autouse=True)
def _prolific_authors_are_not_spammers(settings):
    # These tests write many articles a minute; moderation's spam scorer would hide them.
    settings.MODERATION_SPAM_REPEAT_POINTS = 0


@pytest.fixture(autouse=True, params=["newest entries first", "GIN indexes only"])
def _both_ways_to_a_page(request, monkeypatch):
    """PostgreSQL finds a page of a common word in the newest entries and of a rare one through
    the GIN indexes; a window of no entries makes every word rare, so each test runs both
    ways (on SQLite, twice the one way)."""
    if request.param == "GIN indexes only":
        monkeypatch.setattr(search_queries, "NEWEST_WINDOW", 0)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...`: the block's commit callbacks run, background deliveries
    included, as after a real commit."""

    @contextmanager
    def block():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return block


@pytest.fixture
def author(alice, client_for, committed):
    """Writes alice's articles through the API (the real bus, the handlers after commit)."""

    class Author:
        client = client_for(alice)

        def write(self, title, description="A story.", body="Once upon a time.", tags=()):
            article = {"title": title, "description": description, "body": body}
            with committed():
                response = self.client.post(
                    "/api/articles", {"article": article | {"tagList": list(tags)}}, format="json"
                )
            assert response.status_code == 201, response.json()
            return response.json()["article"]

        def edit(self, slug, **fields):
            with committed():
                response = self.client.put(
                    f"/api/articles/{slug}", {"article": fields}, format="json"
                )
            assert response.status_code == 200, response.json()
            return response.json()["article"]

        def delete(self, slug):
            with committed():
                assert self.client.delete(f"/api/articles/{slug}").status_code == 204

    return Author()


def found(api_client, q, **params) -> tuple[list[str], int]:
    """The titles a search answers, in order, and its articlesCount."""
    response = api_client.get("/api/articles", {"q": q, **params})
    assert response.status_code == 200, response.json()
    body = response.json()
    return [article["title"] for article in body["articles"]], body["articlesCount"]


def test_a_new_article_is_found_by_any_word_of_its_title_description_tags_or_body(
    api_client, author
):
    article = author.write(
        "Taming wyverns",
        description="Patience and gloves",
        body="Feed them at dusk.",
        tags=["bestiary"],
    )
    author.write("Unrelated", description="Nothing here", body="Plain text.")

    response = api_client.get("/api/articles", {"q": "wyverns"})

    listed = api_client.get("/api/articles", {"author": "alice"}).json()["articles"]
    assert response.status_code == 200
    assert response.json() == {
        "articles": [item for item in listed if item["slug"] == article["slug"]],
        "articlesCount": 1,
    }
    for word in ("taming", "gloves", "bestiary", "dusk"):
        assert found(api_client, word) == (["Taming wyverns"], 1), word


def test_words_are_stemmed_case_folded_and_every_one_must_match(api_client, author):
    author.write("Training dragons", body="The dragon sleeps.")
    author.write("Training griffins", body="The griffin flies.")

    assert found(api_client, "DRAGON") == (["Training dragons"], 1)
    assert found(api_client, "trained") == (["Training griffins", "Training dragons"], 2)
    assert found(api_client, "dragon training") == (["Training dragons"], 1)
    assert found(api_client, "dragon griffin") == ([], 0)


def test_an_edit_is_found_by_its_new_words_and_no_longer_by_its_old(api_client, author):
    article = author.write("Old title", description="Old words", body="Old body", tags=["old"])

    author.edit(
        article["slug"],
        title="Fresh title",
        description="Fresh words",
        body="Fresh body",
        tagList=["brand"],
    )

    assert found(api_client, "fresh") == (["Fresh title"], 1)
    assert found(api_client, "brand") == (["Fresh title"], 1)
    assert found(api_client, "old") == ([], 0)


def test_a_deleted_article_is_found_no_more_and_leaves_the_index(api_client, author):
    doomed = author.write("Doomed dragons")
    author.write("Surviving dragons")

    author.delete(doomed["slug"])

    assert found(api_client, "dragons") == (["Surviving dragons"], 1)
    assert search_index_size() == 1


def test_title_matches_come_first_then_description_and_tags_then_body_newest_first_in_each(
    api_client, author
):
    author.write("A dragon of old")
    author.write("Notes", body="A dragon appears at the end.")
    author.write("Lore", description="Dragon lore")
    author.write("Tales", tags=["dragon"])
    author.write("The newest dragon")

    titles, count = found(api_client, "dragon")

    assert titles == ["The newest dragon", "A dragon of old", "Tales", "Lore", "Notes"]
    assert count == 5


def test_a_query_of_several_words_ranks_by_where_all_of_them_are(api_client, author):
    author.write("Fire", description="Dragons breathe it")
    author.write("Dragon fire")

    assert found(api_client, "dragon fire") == (["Dragon fire", "Fire"], 2)


def test_q_combines_with_tag_and_pages_with_an_exact_count(api_client, author):
    for n in range(5):
        author.write(f"Dragon {n}", tags=["fire"] if n % 2 == 0 else ["ice"])
    author.write("Fire drill", tags=["fire"])

    assert found(api_client, "dragon", tag="fire") == (["Dragon 4", "Dragon 2", "Dragon 0"], 3)
    assert found(api_client, "dragon", tag="fire", limit=2, offset=1) == (
        ["Dragon 2", "Dragon 0"],
        3,
    )
    assert found(api_client, "dragon", limit=2, offset=2) == (["Dragon 2", "Dragon 1"], 5)
    assert found(api_client, "dragon", tag="none") == ([], 0)


def test_q_combines_with_author_and_favorited(api_client, author, bob, client_for, committed):
    author.write("Alice's dragon")
    liked = author.write("Alice's other dragon")
    bob_client = client_for(bob)
    with committed():
        bob_client.post("/api/articles", {"article": {"title": "Bob's dragon",
                        "description": "d", "body": "b"}}, format="json")  # fmt: skip
        bob_client.post(f"/api/articles/{liked['slug']}/favorite")

    assert found(api_client, "dragon", author="bob") == (["Bob's dragon"], 1)
    assert found(api_client, "dragon", favorited="bob") == (["Alice's other dragon"], 1)
    assert found(api_client, "dragon", author="alice", favorited="bob") == (
        ["Alice's other dragon"],
        1,
    )


def test_a_query_without_a_searchable_word_matches_nothing_and_a_blank_one_is_ignored(
    api_client, author
):
    author.write("The dragon")

    assert found(api_client, "the and of") == ([], 0)
    assert found(api_client, "!!! ---") == ([], 0)
    assert found(api_client, "   ") == (["The dragon"], 1)


def test_a_query_longer_than_200_characters_is_refused(api_client):
    response = api_client.get("/api/articles", {"q": "x" * 201})

    assert response.status_code == 422
    assert response.json() == {"errors": {"q": ["is too long (maximum is 200 characters)"]}}
    assert api_client.get("/api/articles", {"q": "x" * 200}).status_code == 200


def test_a_hidden_article_is_not_found_at_once_and_is_again_once_shown(api_client, author):
    author.write("Hidden dragon")
    author.write("Visible dragon")
    hidden = Article.objects.get(title="Hidden dragon")

    article_set_hidden(article=hidden, hidden=True)

    # At once: searches check visibility on the rows (until the worker drops the entry, a
    # one-word count may still include it).
    assert found(api_client, "dragon")[0] == ["Visible dragon"]
    search_index_refresh([hidden.pk])  # what moderation's event has the worker do
    assert search_index_size() == 1
    assert found(api_client, "dragon") == (["Visible dragon"], 1)

    article_set_hidden(article=hidden, hidden=False)
    search_index_refresh([hidden.pk])
    assert found(api_client, "dragon") == (["Visible dragon", "Hidden dragon"], 2)


def index_contents() -> list[tuple]:
    """Everything the index holds, in a stable order."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT article_id, article_created_at, title::text, head::text, "
                "document::text FROM articles_articlesearch ORDER BY article_id"
            )
            entries = cursor.fetchall()
            cursor.execute(
                "SELECT term, articles_count FROM articles_articlesearchterm "
                "WHERE articles_count <> 0 ORDER BY term"
            )
            return entries + cursor.fetchall()
        cursor.execute(f"SELECT rowid, * FROM {search.FTS_TABLE} ORDER BY rowid")
        return cursor.fetchall()


def test_a_redelivered_or_replayed_event_rebuilds_the_same_entry(author):
    article = author.write("Dragon", description="Scales", body="Fire", tags=["beast"])
    author.write("Another dragon")
    before = index_contents()
    created = EventRecord.objects.get(type="articles.ArticleCreated", payload__slug=article["slug"])

    assert deliver_event.call(str(created.event_id), HANDLER) == "already handled"
    update_search_index([SimpleNamespace(article_id=created.payload["article_id"])])
    update_search_index([SimpleNamespace(article_id=created.payload["article_id"])])

    assert index_contents() == before


def test_one_word_counts_stay_exact_through_edits_deletes_and_hides(api_client, author):
    articles = [author.write(f"Dragon {n}", body=f"Scales. {'wyvern ' * n}") for n in range(4)]
    author.edit(articles[1]["slug"], body="no more")
    author.delete(articles[2]["slug"])
    article_set_hidden(article=Article.objects.get(slug=articles[3]["slug"]), hidden=True)
    search_index_refresh([Article.objects.get(slug=articles[3]["slug"]).pk])

    assert found(api_client, "wyvern") == ([], 0)
    assert found(api_client, "dragon") == (["Dragon 1", "Dragon 0"], 2)
    before = {word: found(api_client, word) for word in ("dragon", "wyvern", "more", "scale")}
    _run("search_reindex")
    assert {word: found(api_client, word) for word in before} == before


def test_the_index_converges_when_the_handler_fails_twice(
    api_client, author, monkeypatch, settings
):
    settings.EVENTS_RETRY_BASE_SECONDS = 0  # retries are due at once
    failures = iter([RuntimeError("database hiccup"), RuntimeError("again")])
    refresh = search.search_index_refresh

    def flaky(article_ids, **options):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return refresh(article_ids, **options)

    monkeypatch.setattr(search, "search_index_refresh", flaky)

    author.write("Stubborn dragon")

    delivery = next(d for d in deliveries() if d.args_kwargs["args"][1] == HANDLER)
    assert delivery.status == TaskResultStatus.READY
    assert found(api_client, "dragon") == ([], 0)

    build_worker().run()

    delivery.refresh_from_db()
    assert delivery.status == TaskResultStatus.SUCCESSFUL
    assert len(delivery.worker_ids) == 3
    assert DeliveryReceipt.objects.filter(handler=HANDLER).count() == 1
    assert found(api_client, "dragon") == (["Stubborn dragon"], 1)


def test_search_reindex_rebuilds_the_index_from_the_rows(api_client, author):
    ArticleFactory(title="Seeded dragon")  # written behind the services: not indexed
    gone = author.write("Gone dragon")
    Article.objects.filter(slug=gone["slug"]).delete()  # behind the services: left indexed
    assert found(api_client, "dragon")[0] == []

    out = _run("search_reindex")

    assert out == "Indexed 1 articles; the index holds 1 entries (hidden articles are left out).\n"
    assert found(api_client, "dragon") == (["Seeded dragon"], 1)
    assert _run("search_reindex", "--if-empty") == (
        "The search index holds entries already; nothing rebuilt.\n"
    )


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_schema_documents_q_as_an_extension(api_client):
    schema = api_client.get("/api/schema", {"format": "json"}).json()

    parameters = schema["paths"]["/articles"]["get"]["parameters"]
    q = next(parameter for parameter in parameters if parameter["name"] == "q")
    assert q["in"] == "query"
    # No NUL: conduit.middleware refuses one in any query parameter.
    assert q["schema"] == {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000]*$"}
    assert q["description"].startswith("**Extension** (not in the RealWorld spec)")
