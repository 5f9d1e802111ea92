"""Full-text search of articles (`GET /api/articles?q=words`): the index and its queries.

The index holds each visible article's title, description, tags and body: on PostgreSQL in
ArticleSearch (tsvector columns with GIN indexes, the "english" configuration), on SQLite in
the FTS5 table `articles_search_fts` (the porter stemmer). It is kept in the worker by
`update_search_index`, wired in articles/receivers.py to ArticleCreated, ArticleUpdated and
ArticleDeleted (and in moderation/receivers.py to what hides and shows an article): the
handler reads the article's row as it is now and writes its entry from it, so a redelivery, a
replay or events handled out of order all leave the entry the row says; `search_reindex`
rebuilds every entry through the same function.

A query matches the articles that hold every one of its words (stemmed: "dragons" finds
"dragon"; English stop words are ignored) in their title, description, tags or body. Best
match first: articles whose title holds every word, then those whose title, description and
tags do, then the rest; newest first within each. On PostgreSQL a page reads, for each rank,
the newest entries until it has a page when the words are common (ArticleSearchTerm, the
count of each word, says so), and the GIN indexes when they are rare, so a page costs about
the same at a million articles as at two thousand; a one-word search is counted from that
count, not by counting. On SQLite (development) FTS5 finds the matches and ranks each one.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Protocol

from django.contrib.postgres.search import SearchQuery
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Case, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from articles.models import Article, ArticleSearch, ArticleSearchTerm, ArticleTotal
from conduit.readcache import LISTS, forget_reads

MAX_QUERY_LENGTH = 200
# Of a description or body, the first this many characters are indexed: a tsvector holds at
# most 1 MB of words, and 200,000 characters of any script stay under it.
INDEXED_CHARACTERS = 200_000
CONFIG = "english"
FTS_TABLE = "articles_search_fts"
REBUILD_BATCH = 1000

# PostgreSQL's English stop words (tsearch_data/english.stop): neither database is asked for
# them, so a query means the same on both (PostgreSQL does not index them at all).
_ENGLISH_STOP_WORDS = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now"""
STOP_WORDS = frozenset(_ENGLISH_STOP_WORDS.split())
_WORD = re.compile(r"[^\W_]+")

TITLE, HEAD, ANYWHERE = 3, 2, 1  # the ranks: every word in the title; in title/description/tags


class AboutAnArticle(Protocol):
    article_id: int


# Queries --------------------------------------------------------------------------------------


def search_terms(q: str) -> list[str]:
    """The words of a query that can match: runs of letters and digits, lower-cased, stop
    words left out, each once."""
    words = (word.lower() for word in _WORD.findall(q))
    return list(dict.fromkeys(word for word in words if word not in STOP_WORDS))


def search_page(
    articles: QuerySet[Article], q: str, *, offset: int, limit: int, narrowed: bool
) -> tuple[list[int], int]:
    """The ids of one page of `articles` (the visible articles, `narrowed` by the caller's
    filters or not) that match `q`, best match first, and how many match in all."""
    terms = search_terms(q)
    if not terms:
        return [], 0
    if connection.vendor == "postgresql":
        return _postgresql_page(articles, q, offset=offset, limit=limit, narrowed=narrowed)
    return _sqlite_page(articles, terms, offset=offset, limit=limit)


def _postgresql_page(
    articles: QuerySet[Article], q: str, *, offset: int, limit: int, narrowed: bool
) -> tuple[list[int], int]:
    wanted = offset + limit
    among = articles.order_by().values("pk").query.sql_with_params()
    (lexemes, bound, dense), found = _first_look(q, among, wanted)
    if lexemes == 0 or bound == 0:  # no word to look for, or one that no article holds
        return [], 0
    if not dense:
        ranked = _few_matches(q, among, wanted, bound=bound)
    else:
        ranked, short = [], []
        for rank in _CONDITIONS:
            rows = [row for row in found if row[0] == rank]
            if len(rows) < wanted:
                short.append(rank)  # may have older matches: asked again, in full
            else:
                ranked += rows
        if short:
            ranked += _all_matches(q, among, wanted, ranks=short)
    ranked.sort(reverse=True)  # (rank, created_at, id)
    ids = [article_id for _, _, article_id in ranked[offset:wanted]]
    if not narrowed and lexemes == 1:
        return ids, bound  # the word's count: the index holds exactly the visible articles
    matching = ArticleSearch.objects.filter(
        document=SearchQuery(q, config=CONFIG, search_type="plain")
    )
    return ids, (matching.filter(article__in=articles) if narrowed else matching).count()


# Where each rank's matches are: every word in the title; in the title, description and tags
# but not all in the title; anywhere else.
_CONDITIONS = {
    TITLE: "e.title @@ {q}",
    HEAD: "e.head @@ {q} AND NOT e.title @@ {q}",
    ANYWHERE: "e.document @@ {q} AND NOT e.head @@ {q}",
}
# A match's rank, computed on the row.
_RANK = (
    f"CASE WHEN e.title @@ {{q}} THEN {TITLE} WHEN e.head @@ {{q}} THEN {HEAD} ELSE {ANYWHERE} END"
)
# plainto_tsquery reads the words as the index did (numbers, e-mail addresses and hyphenated
# words included), every word required; immutable, so the planner sees the words themselves.
_QUERY = f"plainto_tsquery('{CONFIG}'::regconfig, %s)"
# How many of the newest entries the first look reads at most: NEWEST_WINDOW, or for a deep
# page (offset + limit entries wanted) twenty entries per entry wanted.
NEWEST_WINDOW = 2000
WINDOW_PER_WANTED = 20

# The number of the query's words (lexemes); the fewest entries that hold any one of them (an
# upper bound of its matches, and for one word their exact number); and whether the matches
# are dense enough (twice over, for good measure) for the newest entries to hold a page.
_COUNTED = f"""
WITH counted AS (
    SELECT lexemes, bound, bound * %(window)s >= 2 * %(wanted)s * coalesce(
        (SELECT sum(articles_count) FROM {ArticleTotal._meta.db_table}), 0) AS dense
    FROM (
        SELECT cardinality(q.lexemes) AS lexemes, coalesce(
            (SELECT min(coalesce(t.articles_count, 0)) FROM unnest(q.lexemes) AS word
             LEFT JOIN {ArticleSearchTerm._meta.db_table} t ON t.term = word),
            0) AS bound
        FROM (SELECT tsvector_to_array(to_tsvector('{CONFIG}'::regconfig, %(q)s)) AS lexemes) q
    ) words
)
SELECT 0, NULL::timestamptz, NULL::bigint, lexemes, bound, dense FROM counted
"""


def _first_look(
    q: str, among: tuple[str, Sequence[object]], wanted: int
) -> tuple[tuple[int, int, bool], list[tuple[int, object, int]]]:
    """The query's word counts and, when its matches are dense, each rank's `wanted` newest
    matches among the newest entries (the creation-time index, read until the page is found
    or the window is read): for a common word, a page's worth of rows whatever the size of
    the index. One statement; a rank that finds fewer than `wanted` may have older matches."""
    window = max(NEWEST_WINDOW, WINDOW_PER_WANTED * wanted) if NEWEST_WINDOW else 0
    sql, params = _named(_COUNTED, window=window, wanted=wanted, q=q)
    newest = (
        f"(SELECT article_id, article_created_at, title, head, document FROM {_SEARCH_TABLE} "
        "ORDER BY article_created_at DESC, article_id DESC LIMIT %s) e"
    )
    looks = []
    for rank, condition in _CONDITIONS.items():
        condition = condition.format(q=_QUERY)
        looks.append(
            f"(SELECT {rank} AS rank, e.article_created_at, e.article_id FROM {newest} "
            f"WHERE (SELECT dense FROM counted) AND {condition} "
            "ORDER BY e.article_created_at DESC, e.article_id DESC LIMIT %s)"
        )
        params += [window, *[q] * condition.count("%s"), wanted]
    # Among the caller's articles (visibility, filters) once, after the looks: an entry they
    # leave out makes its rank short, and asked again in full.
    sql += (
        " UNION ALL SELECT found.*, NULL, NULL, NULL FROM ("
        + " UNION ALL ".join(looks)
        + f") found WHERE found.article_id IN ({among[0]})"
    )
    params += among[1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts = next(row[3:] for row in rows if row[0] == 0)
    return counts, [row[:3] for row in rows if row[0] != 0]


def _few_matches(
    q: str, among: tuple[str, Sequence[object]], wanted: int, *, bound: int
) -> list[tuple[int, object, int]]:
    """The `wanted` best of a query whose matches are few (at most `bound`, its rarest word's
    count): every match through the GIN index of the whole text, each ranked where it stands,
    among the caller's articles. The LIMIT tells the planner how few they are (with room for
    entries written since the count was read)."""
    rank = _RANK.format(q=_QUERY)
    sql = (
        f"WITH m AS MATERIALIZED (SELECT {rank} AS rank, e.article_created_at, e.article_id "
        f"FROM {_SEARCH_TABLE} e WHERE e.document @@ {_QUERY} LIMIT %s) "
        f"SELECT rank, article_created_at, article_id FROM m WHERE article_id IN ({among[0]}) "
        "ORDER BY rank DESC, article_created_at DESC, article_id DESC LIMIT %s"
    )
    params = [*[q] * rank.count("%s"), q, 2 * bound + 100, *among[1], wanted]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _all_matches(
    q: str, among: tuple[str, Sequence[object]], wanted: int, *, ranks: Sequence[int]
) -> list[tuple[int, object, int]]:
    """Each rank's `wanted` newest matches of all: every match through the GIN indexes,
    materialized (so that no LIMIT tempts the planner into reading the whole creation-time
    index for a rare word), then sorted. One statement."""
    parts, params = [], []
    for rank in ranks:
        condition = _CONDITIONS[rank].format(q=_QUERY)
        parts.append(
            f"(WITH m AS MATERIALIZED (SELECT e.article_id, e.article_created_at "
            f"FROM {_SEARCH_TABLE} e WHERE {condition} AND e.article_id IN ({among[0]})) "
            f"SELECT {rank}, article_created_at, article_id FROM m "
            "ORDER BY article_created_at DESC, article_id DESC LIMIT %s)"
        )
        params += [*[q] * condition.count("%s"), *among[1], wanted]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def _named(sql: str, **values: object) -> tuple[str, list[object]]:
    """`%(name)s` placeholders as positional `%s` ones, to add more after them."""
    params: list[object] = []

    def positional(match: re.Match[str]) -> str:
        params.append(values[match.group(1)])
        return "%s"

    return re.sub(r"%\((\w+)\)s", positional, sql), params


def _sqlite_page(
    articles: QuerySet[Article], terms: Sequence[str], *, offset: int, limit: int
) -> tuple[list[int], int]:
    words = " ".join(f'"{term}"' for term in terms)  # letters and digits only: safe to quote
    matching = articles.filter(pk__in=_fts_rowids(words))
    rank = Case(
        When(pk__in=_fts_rowids(f"{{title}} : ({words})"), then=Value(TITLE)),
        When(pk__in=_fts_rowids(f"{{title description tags}} : ({words})"), then=Value(HEAD)),
        default=Value(ANYWHERE),
    )
    page = (
        matching.annotate(search_rank=rank)
        .order_by("-search_rank", "-created_at", "-id")
        .values_list("pk", flat=True)[offset : offset + limit]
    )
    return list(page), matching.count()


def _fts_rowids(expression: str) -> RawSQL:
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (expression,))


# The index ------------------------------------------------------------------------------------


def update_search_index(event: AboutAnArticle) -> None:
    """Background handler (ArticleCreated, ArticleUpdated, ArticleDeleted, and moderation's
    hide and show): the article's entry as its row is now."""
    search_index_refresh([event.article_id])


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


_ARTICLE_TABLE = Article._meta.db_table
_SEARCH_TABLE = ArticleSearch._meta.db_table
_TERM_TABLE = ArticleSearchTerm._meta.db_table

_POSTGRESQL_UPSERT = f"""
INSERT INTO {_SEARCH_TABLE} (article_id, article_created_at, title, head, document)
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
    FROM {_ARTICLE_TABLE} a
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
            f"SELECT id, hidden FROM {_ARTICLE_TABLE} WHERE id = ANY(%s) "
            "ORDER BY id FOR NO KEY UPDATE",
            [ids],
        )
        visible = [article_id for article_id, hidden in cursor.fetchall() if not hidden]
        # What is gone: exactly the entries this statement deleted (a deleted article has no
        # row to lock, so two refreshes of it may run at once; only one deletes its entry).
        cursor.execute(
            f"DELETE FROM {_SEARCH_TABLE} WHERE article_id = ANY(%s) "
            "AND NOT article_id = ANY(%s) RETURNING tsvector_to_array(document)",
            [ids, visible],
        )
        before = [terms for (terms,) in cursor.fetchall()]
        after: list[list[str]] = []
        if visible and count_terms:
            cursor.execute(
                f"SELECT tsvector_to_array(document) FROM {_SEARCH_TABLE} "
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
        f"INSERT INTO {_TERM_TABLE} AS counted (term, articles_count) "
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
        cursor.execute(f"LOCK TABLE {_TERM_TABLE} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {_TERM_TABLE}")
        cursor.execute(
            f"INSERT INTO {_TERM_TABLE} (term, articles_count) "
            f"SELECT term, count(*) FROM {_SEARCH_TABLE}, "
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
            f"substr(body, 1, %s) FROM {_ARTICLE_TABLE} "
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
                f"DELETE FROM {_SEARCH_TABLE} s WHERE NOT EXISTS "
                f"(SELECT 1 FROM {_ARTICLE_TABLE} a WHERE a.id = s.article_id)"
            )
            _recount_terms()
        else:
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE rowid NOT IN (SELECT id FROM {_ARTICLE_TABLE})"
            )
        transaction.on_commit(partial(forget_reads, LISTS))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics, or the planner guesses
            cursor.execute(f"ANALYZE {_SEARCH_TABLE}, {_TERM_TABLE}")
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
            f"SELECT count(*) FROM {FTS_TABLE} WHERE rowid IN (SELECT id FROM {_ARTICLE_TABLE})"
        )
        return cursor.fetchone()[0]
