"""Reads of articles: querysets annotated with everything an API response needs, so that a
page of articles costs the same few queries whatever its size."""

from django.db.models import BooleanField, Exists, OuterRef, Prefetch, QuerySet, Value

from articles.models import Article, ArticleTag, Favorite
from conduit.errors import NotFound
from users.models import Follow, User
from users.selectors import following_expression


def _tag_links() -> Prefetch:
    """`article.tag_links`: the article's ArticleTags with their Tag, in the author's order."""
    return Prefetch(
        "article_tags",
        queryset=ArticleTag.objects.select_related("tag").order_by("position", "id"),
        to_attr="tag_links",
    )


def _for_viewer(articles: QuerySet[Article], viewer: User | None) -> QuerySet[Article]:
    """Add `favorited` and `author_following` (False for anonymous viewers), the author and the
    tags."""
    if viewer is None:
        favorited = Value(False, output_field=BooleanField())
    else:
        favorited = Exists(Favorite.objects.filter(article=OuterRef("pk"), user=viewer))
    author_following = following_expression(viewer, user_ref="author_id")
    return (
        articles.select_related("author")
        .annotate(favorited=favorited, author_following=author_following)
        .prefetch_related(_tag_links())
    )


def article_list(
    *,
    viewer: User | None,
    tag: str | None = None,
    author: str | None = None,
    favorited: str | None = None,
) -> QuerySet[Article]:
    """Articles newest first, narrowed by a tag name, an author's username and the username of
    someone who favorited them; the filters combine. Without `body` (list items omit it)."""
    articles = Article.objects.defer("body")
    # Each join matches at most one row per article (unique tag name, unique username and
    # unique (article, tag) / (user, article) pairs), so no DISTINCT is needed.
    if tag:
        articles = articles.filter(article_tags__tag__name=tag)
    if author:
        articles = articles.filter(author__username=author)
    if favorited:
        articles = articles.filter(favorites__user__username=favorited)
    return _for_viewer(articles.order_by("-created_at", "-id"), viewer)


def article_feed(*, viewer: User) -> QuerySet[Article]:
    """Articles by the authors the viewer follows, newest first, without `body`."""
    followed = Follow.objects.filter(follower=viewer).values("followed_id")
    articles = Article.objects.defer("body").filter(author_id__in=followed)
    return _for_viewer(articles.order_by("-created_at", "-id"), viewer)


def article_get(*, slug: str, viewer: User | None) -> Article:
    """One article, annotated for the viewer; 404 when the slug is unknown."""
    article = _for_viewer(Article.objects.filter(slug=slug), viewer).first()
    if article is None:
        raise NotFound("article")
    return article


def article_find(*, slug: str) -> Article:
    """The bare article row to write to; 404 when the slug is unknown."""
    article = Article.objects.filter(slug=slug).first()
    if article is None:
        raise NotFound("article")
    return article
