"""The full-text index of articles, which `GET /api/articles?q=words` reads
(articles/search_queries.py).

The index holds each visible article's title, description, tags and body: on PostgreSQL in
ArticleSearch (tsvector columns with GIN indexes, the "english" configuration), on SQLite in
the FTS5 table `articles_search_fts` (the porter stemmer). It is kept in the worker by
`update_search_index`, wired in articles/receivers.py to ArticleCreated, ArticleUpdated and
ArticleDeleted (and in moderation/receivers.py to what hides and shows an article): the
handler reads the article's row as it is now and writes its entry from it, so a redelivery, a
replay or events handled out of order all leave the entry the row says; `search_reindex`
rebuilds every entry through the same function. On PostgreSQL the count of each word
(ArticleSearchTerm) moves with the entries, for the queries to plan by.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Protocol

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from articles.models import Article, ArticleSearch, ArticleSearchTerm
from articles.reads import LISTS
from conduit.readcache import forget_reads
from events.core.wiring import handles_batches

# Of a description or body, the first this many characters are indexed: a tsvector holds at
# most 1 MB of words, and 200,000 characters of any script stay under it.
INDEXED_CHARACTERS = 200_000
CONFIG = "english"
FTS_TABLE = "articles_search_fts"
REBUILD_BATCH = 1000

ARTICLE_TABLE = Article._meta.db_table
SEARCH_TABLE = ArticleSearch._meta.db_table
TERM_TABLE = ArticleSearchTerm._meta.db_table


class AboutAnArticle(Protocol):
    article_id: int


# The index ------------------------------------------------------------------------------------


@handles_batches
def update_search_index(events: Sequence[AboutAnArticle]) -> None:
    """Background handler of batches (ArticleCreated, ArticleUpdated, ArticleDeleted): the
    articles' entries as their rows are now, in one refresh."""
    search_index_refresh([event.article_id for event in events])


@transaction.atomic
def search_index_refresh(article_ids: Sequence[int], *, count_terms: bool = True) -> None:
    """Make the entries of these articles what their rows say: written for a visible article,
    removed for a hidden or deleted one, and (PostgreSQL) the word counts moved to match.
    Idempotent, in any order.

    The rows are locked first (FOR NO KEY UPDATE), so an edit, a hide or a delete of one of
    them, or another refresh of it, waits for this transaction, and its own event refreshes
    the entry after it: an older refresh can never overwrite a newer one, and the counts move
    once per change. (SQLite runs one writing transaction at a time.) `count_terms=False`
    leaves the counts to a recount (search_index_rebuild).
    """
    ids = sorted(set(article_ids))
    if not ids:
        return
    if connection.vendor == "postgresql":
        _refresh_postgresql(ids, count_terms=count_terms)
    else:
        _refresh_sqlite(ids)
    # The entries change after the article's own event invalidated the read cache; a search
    # remembered in between must not outlive them.
    transaction.on_commit(partial(forget_reads, LISTS))


_POSTGRESQL_UPSERT = f"""
INSERT INTO {SEARCH_TABLE} (article_id, article_created_at, title, head, document)
SELECT id, created_at, title_vector, head_vector,
       head_vector || to_tsvector(%(config)s::regconfig, left(body, %(characters)s))
FROM (
    SELECT a.id, a.created_at, a.body,
           to_tsvector(%(config)s::regconfig, a.title) AS title_vector,
           to_tsvector(
               %(config)s::regconfig,
               a.title || ' ' || left(a.description, %(characters)s) || ' ' || coalesce(
                   (SELECT string_agg(tag, ' ') FROM jsonb_array_elements_text(a.tag_list) tag),
                   ''
               )
           ) AS head_vector
    FROM {ARTICLE_TABLE} a
    WHERE a.id = ANY(%(ids)s)
) article
ON CONFLICT (article_id) DO UPDATE SET
    article_created_at = EXCLUDED.article_created_at,
    title = EXCLUDED.title,
    head = EXCLUDED.head,
    document = EXCLUDED.document
"""


def _refresh_postgresql(ids: list[int], *, count_terms: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, hidden FROM {ARTICLE_TABLE} WHERE id = ANY(%s) "
            "ORDER BY id FOR NO KEY UPDATE",
            [ids],
        )
        visible = [article_id for article_id, hidden in cursor.fetchall() if not hidden]
        # What is gone: exactly the entries this statement deleted (a deleted article has no
        # row to lock, so two refreshes of it may run at once; only one deletes its entry).
        cursor.execute(
            f"DELETE FROM {SEARCH_TABLE} WHERE article_id = ANY(%s) "
            "AND NOT article_id = ANY(%s) RETURNING tsvector_to_array(document)",
            [ids, visible],
        )
        before = [terms for (terms,) in cursor.fetchall()]
        after: list[list[str]] = []
        if visible and count_terms:
            cursor.execute(
                f"SELECT tsvector_to_array(document) FROM {SEARCH_TABLE} "
                "WHERE article_id = ANY(%s)",
                [visible],
            )
            before += [terms for (terms,) in cursor.fetchall()]
        if visible:
            returning = " RETURNING tsvector_to_array(document)" if count_terms else ""
            cursor.execute(
                _POSTGRESQL_UPSERT + returning,
                {"config": CONFIG, "characters": INDEXED_CHARACTERS, "ids": visible},
            )
            after = [terms for (terms,) in cursor.fetchall()] if count_terms else []
        if count_terms:
            _move_term_counts(cursor, before=before, after=after)


def _move_term_counts(
    cursor: CursorWrapper, *, before: list[list[str]], after: list[list[str]]
) -> None:
    """Add what the entries hold now and take away what they held, in one statement, in
    term order (concurrent refreshes lock the counts in the same order)."""
    deltas: Counter[str] = Counter()
    for terms in after:
        deltas.update(terms)
    for terms in before:
        deltas.subtract(terms)
    changed = sorted((term, delta) for term, delta in deltas.items() if delta)
    if not changed:
        return
    cursor.execute(
        f"INSERT INTO {TERM_TABLE} AS counted (term, articles_count) "
        "SELECT * FROM unnest(%s::text[], %s::bigint[]) "
        "ON CONFLICT (term) DO UPDATE "
        "SET articles_count = counted.articles_count + EXCLUDED.articles_count",
        [[term for term, _ in changed], [delta for _, delta in changed]],
    )


def _recount_terms() -> None:
    """Count every word of the index again (after a rebuild). The counts' table is locked
    first: a refresh that has moved counts commits before the recount reads the entries, and
    one that has not yet moves them after it, on top of the recount."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TERM_TABLE} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {TERM_TABLE}")
        cursor.execute(
            f"INSERT INTO {TERM_TABLE} (term, articles_count) "
            f"SELECT term, count(*) FROM {SEARCH_TABLE}, "
            "unnest(tsvector_to_array(document)) AS term GROUP BY term"
        )


def _refresh_sqlite(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT value FROM json_each(%s))",
            [_json_list(ids)],
        )
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, description, tags, body) "
            "SELECT id, title, substr(description, 1, %s), "
            "coalesce((SELECT group_concat(value, ' ') FROM json_each(tag_list)), ''), "
            f"substr(body, 1, %s) FROM {ARTICLE_TABLE} "
            "WHERE NOT hidden AND id IN (SELECT value FROM json_each(%s))",
            [INDEXED_CHARACTERS, INDEXED_CHARACTERS, _json_list(ids)],
        )


def _json_list(ids: Iterable[int]) -> str:
    return "[" + ",".join(str(int(article_id)) for article_id in ids) + "]"


def search_index_rebuild(
    *, batch_size: int = REBUILD_BATCH, progress: Callable[[int], None] | None = None
) -> int:
    """Refresh every article's entry through search_index_refresh (what the handler runs), a
    batch per transaction, drop the entries of articles that no longer exist and count the
    words again; the number of articles refreshed. Safe while the worker runs."""
    refreshed = 0
    last = 0
    with _gin_bulk_updates():
        while True:
            batch = list(
                Article.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                break
            search_index_refresh(batch, count_terms=False)
            refreshed += len(batch)
            last = batch[-1]
            if progress is not None:
                progress(refreshed)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {SEARCH_TABLE} s WHERE NOT EXISTS "
                f"(SELECT 1 FROM {ARTICLE_TABLE} a WHERE a.id = s.article_id)"
            )
            _recount_terms()
        else:
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE rowid NOT IN (SELECT id FROM {ARTICLE_TABLE})"
            )
        transaction.on_commit(partial(forget_reads, LISTS))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics, or the planner guesses
            cursor.execute(f"ANALYZE {SEARCH_TABLE}, {TERM_TABLE}")
    return refreshed


_GIN_INDEXES = ("articlesearch_title", "articlesearch_head", "articlesearch_document")


@contextmanager
def _gin_bulk_updates() -> Iterator[None]:
    """On PostgreSQL, let the GIN indexes gather a rebuild's entries in their pending lists
    and merge them in bulk (about twice as fast as one by one), then merge what is left and
    go back to updating at once (ArticleSearch's `fastupdate` off)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        for index in _GIN_INDEXES:
            cursor.execute(f"ALTER INDEX {index} SET (fastupdate = on)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for index in _GIN_INDEXES:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
                cursor.execute(f"ALTER INDEX {index} SET (fastupdate = off)")


def search_index_size() -> int:
    """How many articles the index holds (an entry left by an article deleted behind the
    services' back, until search_index_rebuild drops it, is not one)."""
    if connection.vendor == "postgresql":
        return ArticleSearch.objects.filter(article_id__in=Article.objects.values("pk")).count()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {FTS_TABLE} WHERE rowid IN (SELECT id FROM {ARTICLE_TABLE})"
        )
        return cursor.fetchone()[0]
