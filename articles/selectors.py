"""Reads of articles: rows with everything an API response needs, so that a page of articles
costs the same two queries (total, page) whatever its size."""

from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Sum, Value

from articles.models import Article, ArticleTotal, AuthorStats, Favorite
from conduit.api import Page
from conduit.errors import NotFound
from tags.models import Tag
from users.models import Follow, User
from users.selectors import following_expression

# What a response reads of an article and its author (never the password hash).
_ROW_FIELDS = (
    "slug",
    "title",
    "description",
    "tag_list",
    "created_at",
    "updated_at",
    "favorites_count",
    "author__username",
    "author__bio",
    "author__image",
)


def _rows(articles: QuerySet[Article], viewer: User | None, *, body: bool = False) -> QuerySet:
    """Plain rows (dicts) with everything a response shows, `favorited` and
    `author_following` for the viewer included (False for anonymous viewers): no model
    instances, no second query."""
    if viewer is None:
        favorited = Value(False, output_field=BooleanField())
    else:
        favorited = Exists(Favorite.objects.filter(article=OuterRef("pk"), user=viewer))
    return articles.values(
        *_ROW_FIELDS,
        *(("body",) if body else ()),
        favorited=favorited,
        author_following=following_expression(viewer, user_ref="author_id"),
    )


def article_page(
    *,
    viewer: User | None,
    page: Page,
    tag: str | None = None,
    author: str | None = None,
    favorited: str | None = None,
) -> tuple[list[dict], int]:
    """A page of article rows newest first, without `body`, narrowed by a tag name, an author's
    username and the username of someone who favorited them (the filters combine), and the
    total that match. One filter or none reads the total from a counter; a combination
    counts (each filter already narrows the rows to one tag, author or reader)."""
    articles = Article.objects.all()
    ordering: tuple[str, ...] = ("-created_at", "-id")
    count: int | None = None
    if tag and not (author or favorited):
        found = Tag.objects.filter(name=tag).values_list("pk", "articles_count").first()
        if found is None:
            return [], 0
        tag_id, count = found
        # Filter and order on the link row: the (tag, -article_created_at, -article) index
        # yields the page without sorting every article that carries the tag.
        articles = articles.filter(article_tags__tag_id=tag_id)
        ordering = ("-article_tags__article_created_at", "-article_tags__article_id")
    elif (author or favorited) and not tag and not (author and favorited):
        stat = "articles_count" if author else "favorites_count"
        found = (
            User.objects.filter(username=author or favorited)
            .values_list("pk", f"article_stats__{stat}")
            .first()
        )
        if found is None:
            return [], 0
        user_id, count = found[0], found[1] or 0
        if author:
            articles = articles.filter(author_id=user_id)
        else:
            articles = articles.filter(favorites__user_id=user_id)
    elif tag or author or favorited:
        # Each join matches at most one row per article (unique tag name, unique username and
        # unique (article, tag) / (user, article) pairs), so no DISTINCT is needed.
        if tag:
            articles = articles.filter(article_tags__tag__name=tag)
        if author:
            articles = articles.filter(author__username=author)
        if favorited:
            articles = articles.filter(favorites__user__username=favorited)
        count = articles.count()
    else:
        count = ArticleTotal.objects.aggregate(total=Sum("articles_count"))["total"] or 0
    return _paged(articles.order_by(*ordering), viewer, page), count


def article_feed_page(*, viewer: User, page: Page) -> tuple[list[dict], int]:
    """A page of the article rows by the authors the viewer follows, newest first, without
    `body`, and their total (summed from the authors' counters)."""
    # One query for both the authors and their counts; then the page names the authors
    # outright, which lets PostgreSQL read each author's newest articles from the
    # (author, -created_at, -id) index instead of filtering the whole newest-first index.
    followed = dict(
        Follow.objects.filter(follower=viewer)
        .values_list("followed_id", "followed__article_stats__articles_count")
        .order_by()
    )
    count = sum(articles or 0 for articles in followed.values())
    if not followed:
        return [], 0
    articles = Article.objects.filter(author_id__in=list(followed)).order_by("-created_at", "-id")
    return _paged(articles, viewer, page), count


def _paged(articles: QuerySet[Article], viewer: User | None, page: Page) -> list[dict]:
    return list(_rows(articles, viewer)[page.offset : page.offset + page.limit])


def article_get(*, slug: str, viewer: User | None) -> dict:
    """One article's row, body included, for the viewer; 404 when the slug is unknown."""
    row = _rows(Article.objects.filter(slug=slug), viewer, body=True).first()
    if row is None:
        raise NotFound("article")
    return row


def article_row(article: Article, *, favorited: bool, author_following: bool) -> dict:
    """The row of an article in hand (just written), without querying again."""
    row = {field: getattr(article, field) for field in _ROW_FIELDS if "__" not in field}
    author = article.author
    return row | {
        "body": article.body,
        "author__username": author.username,
        "author__bio": author.bio,
        "author__image": author.image,
        "favorited": favorited,
        "author_following": author_following,
    }


def article_find(*, slug: str) -> Article:
    """The bare article row to write to; 404 when the slug is unknown."""
    article = Article.objects.filter(slug=slug).first()
    if article is None:
        raise NotFound("article")
    return article


def article_counters_snapshot() -> dict[str, int]:
    """Every counter's current value, keyed like "tag:python" or "author:7" (for checks)."""
    snapshot = {"total": ArticleTotal.objects.aggregate(n=Sum("articles_count"))["n"] or 0}
    snapshot |= {
        f"article:{pk}:favorites": count
        for pk, count in Article.objects.values_list("pk", "favorites_count")
    }
    snapshot |= {
        f"tag:{name}": count
        for name, count in Tag.objects.values_list("name", "articles_count")
        if count
    }
    for user_id, articles, favorites in AuthorStats.objects.values_list(
        "user_id", "articles_count", "favorites_count"
    ):
        if articles:
            snapshot[f"author:{user_id}:articles"] = articles
        if favorites:
            snapshot[f"author:{user_id}:favorites"] = favorites
    return snapshot
