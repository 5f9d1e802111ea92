"""Writes to articles, their tag links and favorites. The only place that publishes article
events; tag events are published through tags.services.
"""

import secrets
import string
from collections.abc import Iterator, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.text import slugify

from articles.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleFavorited,
    ArticleUnfavorited,
    ArticleUpdated,
)
from articles.models import Article, ArticleTag, ArticleTotal, AuthorStats, Favorite
from conduit.errors import Forbidden, Invalid, NotFound
from events import bus
from tags.models import Tag
from tags.services import (
    tag_names_clean,
    tags_get_or_create,
    tags_mark_removed,
    tags_mark_used,
    tags_recount,
)
from users.models import User

# Path segments under /api/articles/ that a slug must never shadow.
RESERVED_SLUGS = frozenset({"feed"})
SLUG_BASE_MAX_LENGTH = 200
SLUG_SUFFIX_ATTEMPTS = 8
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


def slug_base(title: str) -> str:
    """Lower-case, dashes, ASCII; "" when the title has no ASCII letter or digit."""
    return slugify(title)[:SLUG_BASE_MAX_LENGTH].strip("-")


def _slug_candidates(title: str) -> Iterator[str]:
    base = slug_base(title)
    if base and base not in RESERVED_SLUGS:
        yield base
    for _ in range(SLUG_SUFFIX_ATTEMPTS):
        suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(6))
        yield f"{base or 'article'}-{suffix}"


def _save_with_unique_slug(article: Article, **save_kwargs: object) -> None:
    """Save under the first free slug for the article's title. The unique index decides, not
    a check-then-save, so concurrent saves of one title each end up with their own slug."""
    for slug in _slug_candidates(article.title):
        article.slug = slug
        try:
            with transaction.atomic():
                article.save(**save_kwargs)
            return
        except IntegrityError:
            if not Article.objects.filter(slug=slug).exclude(pk=article.pk).exists():
                raise  # some other constraint failed
    raise IntegrityError(f"No free slug for {article.title!r} after {SLUG_SUFFIX_ATTEMPTS} tries.")


def _required(field: str, value: str) -> str:
    if not value.strip():
        raise Invalid(field, "can't be blank")
    return value


def _ensure_author(article: Article, user: User) -> None:
    if article.author_id != user.pk:
        raise Forbidden("article")


def _link_tags(article: Article, tags: Sequence[Tag]) -> None:
    ArticleTag.objects.bulk_create(
        ArticleTag(
            article=article, tag=tag, position=position, article_created_at=article.created_at
        )
        for position, tag in enumerate(tags)
    )


def _add_to_counters(model: type[Model], pk: int, **deltas: int) -> None:
    """Add `deltas` to a counter row, creating it on first use. Call it last in a
    transaction: the row stays locked until commit."""
    changes = {field: F(field) + delta for field, delta in deltas.items()}
    if model.objects.filter(pk=pk).update(**changes):
        return
    try:
        with transaction.atomic():
            model.objects.create(pk=pk, **deltas)
    except IntegrityError:  # created by a concurrent transaction in the meantime
        model.objects.filter(pk=pk).update(**changes)


def _count_article(article: Article, delta: int) -> None:
    _add_to_counters(AuthorStats, article.author_id, articles_count=delta)
    _add_to_counters(ArticleTotal, article.pk % ArticleTotal.SHARDS, articles_count=delta)


@transaction.atomic
def article_create(
    *,
    author: User,
    title: str,
    description: str,
    body: str,
    tag_list: Sequence[str] = (),
) -> Article:
    names = tag_names_clean(tag_list)
    now = timezone.now()
    article = Article(
        author=author,
        title=_required("title", title),
        description=_required("description", description),
        body=_required("body", body),
        tag_list=names,
        created_at=now,
        updated_at=now,
    )
    _save_with_unique_slug(article)
    _link_tags(article, tags_get_or_create(names=names))
    bus.publish(
        ArticleCreated(
            article_id=article.pk,
            author_id=author.pk,
            slug=article.slug,
            title=article.title,
            tag_names=tuple(names),
        )
    )
    tags_mark_used(names=names, article_id=article.pk)
    _count_article(article, +1)
    return article


@transaction.atomic
def article_update(
    *,
    article: Article,
    user: User,
    title: str | None = None,
    description: str | None = None,
    body: str | None = None,
    tag_list: Sequence[str] | None = None,
) -> Article:
    """Change any of the given fields (None leaves one alone; `tag_list=[]` clears the tags).
    A new title brings a new slug; `updated_at` moves on every call."""
    _ensure_author(article, user)
    # Lock the row: concurrent edits of one article run one after the other.
    article = Article.objects.select_for_update().get(pk=article.pk)
    changed: list[str] = []
    old_slug, old_title = article.slug, article.title
    if title is not None and title != article.title:
        article.title = _required("title", title)
        changed.append("title")
    for field, value in (("description", description), ("body", body)):
        if value is not None and value != getattr(article, field):
            setattr(article, field, _required(field, value))
            changed.append(field)

    old_names = list(article.tag_list)
    names = old_names if tag_list is None else tag_names_clean(tag_list)
    if names != old_names:
        ArticleTag.objects.filter(article=article).delete()
        _link_tags(article, tags_get_or_create(names=names))
        article.tag_list = names
        changed.append("tag_list")

    article.updated_at = timezone.now()
    update_fields = [*changed, "updated_at"]
    if "title" in changed and slug_base(article.title) != slug_base(old_title):
        _save_with_unique_slug(article, update_fields=[*update_fields, "slug"])
        changed.insert(1, "slug")
    else:
        article.save(update_fields=update_fields)
    added = [name for name in names if name not in old_names]
    removed = [name for name in old_names if name not in names]

    bus.publish(
        ArticleUpdated(
            article_id=article.pk,
            author_id=article.author_id,
            slug=article.slug,
            old_slug=old_slug if article.slug != old_slug else None,
            changed_fields=tuple(changed),
        )
    )
    tags_mark_removed(names=removed, article_id=article.pk)
    tags_mark_used(names=added, article_id=article.pk)
    return article


@transaction.atomic
def article_delete(*, article: Article, user: User) -> None:
    """Delete the article with its tag links, favorites and (through comments' receiver) its
    comments."""
    _ensure_author(article, user)
    article_id, slug, title, author_id = article.pk, article.slug, article.title, article.author_id
    names = list(article.tag_list)
    favorited_by = list(Favorite.objects.filter(article=article).values_list("user_id", flat=True))
    article.delete()
    tags_mark_removed(names=names, article_id=article_id)
    bus.publish(ArticleDeleted(article_id=article_id, author_id=author_id, slug=slug, title=title))
    AuthorStats.objects.filter(pk__in=favorited_by).update(favorites_count=F("favorites_count") - 1)
    article.pk = article_id
    _count_article(article, -1)


def _current_favorites_count(article: Article) -> int:
    count = Article.objects.filter(pk=article.pk).values_list("favorites_count", flat=True).first()
    if count is None:  # deleted by a concurrent request
        raise NotFound("article")
    return count


@transaction.atomic
def article_favorite(*, article: Article, user: User) -> Article:
    """Make the article one of the user's favorites; a repeat changes nothing."""
    try:
        # The unique (user, article) index settles concurrent favorites: one row wins.
        with transaction.atomic():
            Favorite.objects.create(user=user, article=article)
    except IntegrityError:
        article.favorites_count = _current_favorites_count(article)
        return article
    Article.objects.filter(pk=article.pk).update(favorites_count=F("favorites_count") + 1)
    _add_to_counters(AuthorStats, user.pk, favorites_count=+1)
    article.favorites_count = _current_favorites_count(article)
    bus.publish(
        ArticleFavorited(
            article_id=article.pk, user_id=user.pk, favorites_count=article.favorites_count
        )
    )
    return article


@transaction.atomic
def article_unfavorite(*, article: Article, user: User) -> Article:
    """Take the article out of the user's favorites; a repeat changes nothing."""
    deleted, _ = Favorite.objects.filter(user=user, article=article).delete()
    if deleted:
        Article.objects.filter(pk=article.pk).update(
            favorites_count=Greatest(F("favorites_count") - 1, 0)
        )
        _add_to_counters(AuthorStats, user.pk, favorites_count=-1)
    article.favorites_count = _current_favorites_count(article)
    if deleted:
        bus.publish(
            ArticleUnfavorited(
                article_id=article.pk, user_id=user.pk, favorites_count=article.favorites_count
            )
        )
    return article


@transaction.atomic
def article_counters_rebuild() -> None:
    """Recount every counter the article lists read (favorites per article, articles per tag,
    per author and in all, favorites per user) from the rows themselves: after a bulk load,
    or to repair drift, e.g. after users were deleted in the admin."""
    favorites = Favorite.objects.filter(article=OuterRef("pk")).values("article")
    Article.objects.update(
        favorites_count=Coalesce(Subquery(favorites.annotate(n=Count("pk")).values("n")), 0)
    )
    tags_recount()
    authored = dict(Article.objects.values_list("author_id").annotate(n=Count("pk")).order_by())
    favorited = dict(Favorite.objects.values_list("user_id").annotate(n=Count("pk")).order_by())
    AuthorStats.objects.all().delete()
    AuthorStats.objects.bulk_create(
        AuthorStats(
            user_id=user_id,
            articles_count=authored.get(user_id, 0),
            favorites_count=favorited.get(user_id, 0),
        )
        for user_id in authored.keys() | favorited.keys()
    )
    ArticleTotal.objects.all().delete()
    ArticleTotal.objects.create(shard=0, articles_count=Article.objects.count())
