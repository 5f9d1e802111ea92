"""Full-text search of articles (`GET /api/articles?q=words`): the queries of the index
(articles/search.py keeps it).

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
from collections.abc import Sequence

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Case, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from articles.models import Article, ArticleSearch, ArticleSearchTerm, ArticleTotal
from articles.search import CONFIG, FTS_TABLE, SEARCH_TABLE

MAX_QUERY_LENGTH = 200

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
        f"(SELECT article_id, article_created_at, title, head, document FROM {SEARCH_TABLE} "
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
        f"FROM {SEARCH_TABLE} e WHERE e.document @@ {_QUERY} LIMIT %s) "
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
            f"FROM {SEARCH_TABLE} e WHERE {condition} AND e.article_id IN ({among[0]})) "
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
