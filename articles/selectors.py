"""Reads of articles: ArticleRows with everything a response shows, remembered until the next
business change (conduit.readcache); what differs per viewer, `favorited` and the author's
`following`, is added by one small query. A page costs the same few queries whatever its
size, and none while nothing has changed.

Hidden articles (moderation) are filtered here, so neither a response nor the cache ever
holds one; the counters do not count them (articles.counters). Staff alone read a hidden
article by its slug, straight from the database."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet, Sum
from django.db.models.expressions import RawSQL

from articles.marks import for_viewer
from articles.models import Article, ArticleTotal, AuthorStats
from articles.reads import LISTS, ROWS, article_scope, feed_scope, tag_scope
from articles.search_queries import search_page
from conduit.api import Page
from conduit.errors import NotFound
from conduit.readcache import read_named, read_through
from conduit.statements import Statement
from tags.models import Tag
from users.models import Follow, User
from users.selectors import PROFILE_COLUMNS, ProfileRow, profile_row


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleRow:
    """An article as a response shows it. Every field but the last three is read from the
    article's column of the same name (LIST_COLUMNS): a new column shown in lists is one more
    field here, and one more key in the serializer. `body` is None in list rows (lists have
    none); `favorited` and the author's `following` are the viewer's, False in the rows every
    viewer shares (and the cache keeps)."""

    id: int
    slug: str
    title: str
    description: str
    tag_list: list[str]
    created_at: datetime
    updated_at: datetime
    favorites_count: int
    # Not columns of the article's own: read as below.
    author: ProfileRow
    body: str | None = None
    favorited: bool = False


_NOT_COLUMNS = ("author", "body", "favorited")
# What a list reads of an article, by name: ArticleRow's own fields, then its author's
# ProfileRow (never the password hash).
LIST_COLUMNS = tuple(f.name for f in fields(ArticleRow) if f.name not in _NOT_COLUMNS)
_COLUMNS = (*LIST_COLUMNS, *(f"author__{column}" for column in PROFILE_COLUMNS))
_AUTHOR = slice(len(LIST_COLUMNS), len(_COLUMNS))


def _row(values: Sequence[Any]) -> ArticleRow:
    """The row of the values of _COLUMNS (then the body, when read), by name."""
    return ArticleRow(
        **dict(zip(LIST_COLUMNS, values, strict=False)),
        author=ProfileRow(**dict(zip(PROFILE_COLUMNS, values[_AUTHOR], strict=True))),
        body=values[len(_COLUMNS)] if len(values) > len(_COLUMNS) else None,
    )


def sees_hidden(viewer: User | None) -> bool:
    """Whether the viewer may read content hidden by moderation: active staff only."""
    return viewer is not None and viewer.is_active and viewer.is_staff


def _visible() -> QuerySet[Article]:
    return Article.objects.filter(hidden=False)


def _rows(articles: QuerySet[Article], *, body: bool = False) -> list[ArticleRow]:
    columns = (*_COLUMNS, "body") if body else _COLUMNS
    return [_row(values) for values in articles.values_list(*columns)]


def article_page(
    *,
    viewer: User | None,
    page: Page,
    tag: str | None = None,
    author: str | None = None,
    favorited: str | None = None,
    q: str | None = None,
) -> tuple[list[ArticleRow], int]:
    """A page of article rows newest first, without `body`, narrowed by a tag name, an author's
    username and the username of someone who favorited them (the filters combine), and the
    total that match. With `q`, only the articles that match its words, best match first
    (articles.search)."""
    # A new article changes the lists of its own tags, not the others' (articles/reads.py).
    holding = tag_scope(tag) if tag and not (author or favorited or q) else LISTS
    rows, count = read_through(
        (ROWS, holding),
        ("article-page", tag, author, favorited, q, page.limit, page.offset),
        lambda: _article_page(page=page, tag=tag, author=author, favorited=favorited, q=q),
    )
    return for_viewer(rows, viewer), count


def _article_page(
    *, page: Page, tag: str | None, author: str | None, favorited: str | None, q: str | None
) -> tuple[list[ArticleRow], int]:
    """One filter or none reads the total from a counter; a combination counts (each filter
    already narrows the rows to one tag, author or reader), and so does a search. The
    statements of one filter or none are built once per process (`_page`)."""
    if q:
        return _search_page(page=page, tag=tag, author=author, favorited=favorited, q=q)
    if tag and not (author or favorited):
        found = _tag_count(tag).first()
        if found is None:
            return [], 0
        tag_id, count = found
        return _rows_of(_page("tag", tag_id, page.limit, page.offset)), count
    if (author or favorited) and not tag and not (author and favorited):
        counter = "articles_count" if author else "favorites_count"
        found = _user_count(author or favorited, counter).first()
        if found is None:
            return [], 0
        user_id, count = found[0], found[1] or 0
        kind = "author" if author else "favorited"
        return _rows_of(_page(kind, user_id, page.limit, page.offset)), count
    if tag or author or favorited:
        articles = _filtered(_visible(), tag=tag, author=author, favorited=favorited)
        return _paged(articles.order_by("-created_at", "-id"), page), articles.count()
    count = sum(_total_shards().column())
    return _rows_of(_page("all", None, page.limit, page.offset)), count


# The statements of the lists with one filter or none, built once per process for each page
# (conduit/statements.py): a new article makes every process read its pages again, and
# building a page's two queries took the ORM three times as long as running them. Each kind
# keeps the STATEMENT_CACHE_ENTRIES latest used (a tag's, an author's: as many as are read).


@lru_cache(maxsize=settings.STATEMENT_CACHE_ENTRIES)
def _page(kind: str, filter_id: int | None, limit: int, offset: int) -> Statement:
    """A page of the visible articles (`all`), of a tag's, of an author's or of those a reader
    `favorited` (`filter_id`: the tag's or the user's)."""
    articles = _visible()
    ordering: tuple[str, ...] = ("-created_at", "-id")
    if kind == "tag":
        # Filter and order on the link row: the (tag, -article_created_at, -article) index
        # yields the page without sorting every article that carries the tag.
        articles = articles.filter(article_tags__tag_id=filter_id)
        ordering = ("-article_tags__article_created_at", "-article_tags__article_id")
    elif kind == "author":
        articles = articles.filter(author_id=filter_id)
    elif kind == "favorited":
        articles = articles.filter(favorites__user_id=filter_id)
    return Statement.of(_page_rows(articles.order_by(*ordering), Page(limit, offset)))


@lru_cache(maxsize=1)
def _total_shards() -> Statement:
    """The shards of the count of visible articles (the caller sums them)."""
    return Statement.of(ArticleTotal.objects.values_list("articles_count"))


@lru_cache(maxsize=settings.STATEMENT_CACHE_ENTRIES)
def _tag_count(name: str) -> Statement:
    return Statement.of(Tag.objects.filter(name=name).values_list("pk", "articles_count")[:1])


@lru_cache(maxsize=settings.STATEMENT_CACHE_ENTRIES)
def _user_count(username: str, counter: str) -> Statement:
    users = User.objects.filter(username=username)
    return Statement.of(users.values_list("pk", f"article_stats__{counter}")[:1])


def _filtered(
    articles: QuerySet[Article], *, tag: str | None, author: str | None, favorited: str | None
) -> QuerySet[Article]:
    # Each join matches at most one row per article (unique tag name, unique username and
    # unique (article, tag) / (user, article) pairs), so no DISTINCT is needed.
    if tag:
        articles = articles.filter(article_tags__tag__name=tag)
    if author:
        articles = articles.filter(author__username=author)
    if favorited:
        articles = articles.filter(favorites__user__username=favorited)
    return articles


def _search_page(
    *, page: Page, tag: str | None, author: str | None, favorited: str | None, q: str
) -> tuple[list[ArticleRow], int]:
    """The visible articles that pass the filters and match `q`, ranked by the index, and
    their exact number."""
    articles = _filtered(_visible(), tag=tag, author=author, favorited=favorited)
    narrowed = bool(tag or author or favorited)
    ids, count = search_page(articles, q, offset=page.offset, limit=page.limit, narrowed=narrowed)
    rows = {row.id: row for row in _rows(Article.objects.filter(pk__in=ids))} if ids else {}
    return [rows[article_id] for article_id in ids if article_id in rows], count


def article_feed_page(*, viewer: User, page: Page) -> tuple[list[ArticleRow], int]:
    """A page of the article rows by the authors the viewer follows, newest first, without
    `body`, and their total (summed from the authors' counters)."""
    rows, count = read_through(
        # A followed author's new article renews the followers' feeds (articles/reads.py).
        (ROWS, feed_scope(viewer.pk)),
        ("feed-page", viewer.pk, page.limit, page.offset),
        lambda: _feed_page(viewer=viewer, page=page),
    )
    return for_viewer(rows, viewer), count


def _feed_page(*, viewer: User, page: Page) -> tuple[list[ArticleRow], int]:
    # One query for both the authors and their totals; the page then names the authors.
    followed = dict(
        Follow.objects.filter(follower=viewer)
        .values_list("followed_id", "followed__article_stats__articles_count")
        .order_by()
    )
    if not followed:
        return [], 0
    articles = (
        _visible()
        .filter(pk__in=_newest_of_authors(list(followed), page.offset + page.limit))
        .order_by("-created_at", "-id")
    )
    return _paged(articles, page), sum(count or 0 for count in followed.values())


def _newest_of_authors(author_ids: list[int], count: int) -> RawSQL | QuerySet:
    """The ids of the `count` newest visible articles by any of the authors.

    Filtering the newest-first index by author reads past every article of the authors one
    does not follow (a prolific stranger's thousand posts come first); on PostgreSQL a
    LATERAL join reads each followed author's newest `count` from the (author, -created_at)
    index instead, so a feed page costs the same however much others write. SQLite (the
    development default) has no LATERAL and gets the plain filter.
    """
    if connection.vendor != "postgresql":
        return _visible().filter(author_id__in=author_ids).values("pk")
    table = connection.ops.quote_name(Article._meta.db_table)
    return RawSQL(
        "SELECT newest.id FROM unnest(%s::bigint[]) AS followed(author_id) "
        "CROSS JOIN LATERAL (SELECT id, created_at FROM "
        f"{table} WHERE author_id = followed.author_id AND NOT hidden "
        "ORDER BY created_at DESC, id DESC LIMIT %s) AS newest "
        "ORDER BY newest.created_at DESC, newest.id DESC LIMIT %s",
        (author_ids, count, count),
    )


# From this offset on, a page reads its ids first, then their rows (`_paged`).
DEEP_PAGE_OFFSET = 200


def _paged(articles: QuerySet[Article], page: Page) -> list[ArticleRow]:
    """The page's rows, newest first."""
    return [_row(values) for values in _page_rows(articles, page)]


def _page_rows(articles: QuerySet[Article], page: Page) -> QuerySet[Article]:
    """The page's values, newest first. A deep page skips thousands of articles: it finds the
    ids of its own from the index alone (the visible articles' partial index, or the link
    rows of a tag), and reads the rows and authors of those only, not of every one skipped."""
    window = articles[page.offset : page.offset + page.limit]
    if page.offset >= DEEP_PAGE_OFFSET:
        window = Article.objects.filter(pk__in=window.values("pk")).order_by("-created_at", "-id")
    return window.values_list(*_COLUMNS)


def _rows_of(statement: Statement) -> list[ArticleRow]:
    return [_row(values) for values in statement.rows()]


def article_get(*, slug: str, viewer: User | None) -> ArticleRow:
    """One article's row, body included, for the viewer; 404 when the slug is unknown, or
    the article hidden and the viewer not staff."""
    row = read_named(
        "article",
        slug,
        find_id=lambda: visible_article_id(slug=slug),
        scopes=lambda article_id: (article_scope(article_id),),
        read_by_id=lambda article_id: _article_row(_visible().filter(pk=article_id)),
        read_by_name=lambda: _article_row(_visible().filter(slug=slug)),
        name_of=lambda row: row.slug,
    )
    if row is None and sees_hidden(viewer):
        row = _article_row(Article.objects.filter(slug=slug))
    if row is None:
        raise NotFound("article")
    return for_viewer([row], viewer)[0]


def _article_row(articles: QuerySet[Article]) -> ArticleRow | None:
    rows = _rows(articles[:1], body=True)
    return rows[0] if rows else None


def visible_article_id(*, slug: str) -> int | None:
    """The id of the visible article at `slug`, if any."""
    return _visible().filter(slug=slug).values_list("pk", flat=True).first()


def article_row(article: Article) -> ArticleRow:
    """The row of an article its author has just written, without querying again (nobody
    has favorited it yet, and nobody follows themself)."""
    return ArticleRow(
        **{column: getattr(article, column) for column in LIST_COLUMNS},
        author=profile_row(article.author),
        body=article.body,
    )


def article_find(*, slug: str) -> Article:
    """The bare article row to write to; 404 when the slug is unknown or the article hidden
    (moderation acts on hidden articles from the admin, never through the API)."""
    article = _visible().filter(slug=slug).first()
    if article is None:
        raise NotFound("article")
    return article


def articles_written_counts(*, user_ids: Iterable[int]) -> dict[int, int]:
    """How many articles each user has written (their counters: hidden ones are not
    counted), by user id; 0 for a user with none."""
    user_ids = set(user_ids)
    counts = dict(
        AuthorStats.objects.filter(pk__in=user_ids).values_list("user_id", "articles_count")
    )
    return {user_id: counts.get(user_id, 0) for user_id in user_ids}


def favorites_received_count(*, user_id: int) -> int:
    """How many favorites the user's articles hold in all."""
    total = Article.objects.filter(author_id=user_id).aggregate(n=Sum("favorites_count"))["n"]
    return total or 0


def article_author_id(*, article_id: int) -> int | None:
    """Who wrote the article; None once it is deleted."""
    return Article.objects.filter(pk=article_id).values_list("author_id", flat=True).first()


def articles_existing(*, article_ids: Iterable[int]) -> set[int]:
    """Which of `article_ids` are still articles."""
    return set(Article.objects.filter(pk__in=list(article_ids)).values_list("pk", flat=True))
