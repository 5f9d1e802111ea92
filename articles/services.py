"""Writes to articles, their tag links and favorites. The only place that publishes article
events; tag events are published through tags.services.
"""

import secrets
import string
from collections.abc import Iterable, Iterator, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from articles import counters
from articles.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleFavorited,
    ArticleUnfavorited,
    ArticleUpdated,
)
from articles.models import Article, ArticleTag, Favorite
from conduit.errors import Forbidden, Invalid, NotFound
from conduit.inserts import insert_new, insert_rows
from conduit.text import CONTROL_CHARACTERS, has_control_characters
from events import bus
from events.core.operations import bulk_apply
from events.core.unit_of_work import flush_collected, unit_of_work
from tags.models import Tag
from tags.services import (
    tag_names_clean,
    tags_get_or_create,
    tags_mark_removed,
    tags_mark_used,
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


def _insert_with_unique_slug(article: Article) -> None:
    """Insert the new article under the first free slug for its title. The unique index
    decides, not a check-then-save, in one statement when the slug is free (conduit/inserts.py:
    no savepoint), so concurrent creates of one title each end up with their own slug."""
    for slug in _slug_candidates(article.title):
        article.slug = slug
        if insert_new([article]):
            return
        if not Article.objects.filter(slug=slug).exists():
            raise IntegrityError(f"{article.title!r} broke a constraint other than the slug's.")
    raise _no_free_slug(article)


def _save_with_unique_slug(article: Article, **save_kwargs: object) -> None:
    """Save an edited article under the first free slug for its new title; as above, the
    unique index decides (a savepoint per try: an UPDATE has no ON CONFLICT)."""
    for slug in _slug_candidates(article.title):
        article.slug = slug
        try:
            with transaction.atomic():
                article.save(**save_kwargs)
            return
        except IntegrityError:
            if not Article.objects.filter(slug=slug).exclude(pk=article.pk).exists():
                raise  # some other constraint failed
    raise _no_free_slug(article)


def _no_free_slug(article: Article) -> IntegrityError:
    return IntegrityError(f"No free slug for {article.title!r} after {SLUG_SUFFIX_ATTEMPTS} tries.")


def _required(field: str, value: str) -> str:
    if not value.strip():
        raise Invalid(field, "can't be blank")
    if has_control_characters(value):
        raise Invalid(field, CONTROL_CHARACTERS)
    return value


def _ensure_author(article: Article, user: User) -> None:
    if article.author_id != user.pk:
        raise Forbidden("article")


def _link_tags(article: Article, tags: Sequence[Tag]) -> None:
    insert_rows(
        [
            ArticleTag(
                article=article, tag=tag, position=position, article_created_at=article.created_at
            )
            for position, tag in enumerate(tags)
        ]
    )


@unit_of_work
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
    _insert_with_unique_slug(article)
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
    # The events are written now rather than at the unit's end, so that the counter rows,
    # which every create by this author or with these tags waits for, stay locked for
    # the counters' one statement and the commit only.
    flush_collected()
    counters.article_added(article_id=article.pk, author_id=author.pk, tag_names=names)
    return article


@unit_of_work
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
    # Locked: concurrent edits of one article run one after the other, and an edit racing
    # the article's deletion is a 404.
    article = article_lock(article=article)
    _ensure_author(article, user)
    if article.hidden:  # hidden by moderation since the caller found it
        raise NotFound("article")
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
    counters.article_retagged(added=added, removed=removed)
    return article


@transaction.atomic
def article_set_hidden(*, article: Article, hidden: bool) -> bool:
    """Hide the article from every read but staff's (moderation), or show it again; True when
    that changed something (`articles_set_hidden` for one)."""
    changed = bool(articles_set_hidden(article_ids=[article.pk], hidden=hidden))
    article.hidden = hidden
    return changed


def articles_set_hidden(*, article_ids: Sequence[int], hidden: bool) -> list[Article]:
    """Hide these articles from every read but staff's (moderation), or show them again;
    the ones that changed (those deleted meanwhile, or already so, are left). Their counters
    move exactly as deletes (or undeletes) would move them, under the same exclusive locks
    (taken in key order, as every lock on several articles is), so favorites and deletes
    racing them stay exact. The caller (moderation) announces the changes."""
    locked = Article.objects.select_for_update().filter(pk__in=article_ids).order_by("pk")
    changing = [article for article in locked if article.hidden != hidden]
    if not changing:
        return []
    ids = [article.pk for article in changing]
    Article.objects.filter(pk__in=ids).update(hidden=hidden)
    favorited_by: dict[int, list[int]] = {}
    for article_id, user_id in Favorite.objects.filter(article_id__in=ids).values_list(
        "article_id", "user_id"
    ):
        favorited_by.setdefault(article_id, []).append(user_id)
    move = counters.articles_removed if hidden else counters.articles_shown
    move(
        [
            counters.CountedArticle(
                article_id=article.pk,
                author_id=article.author_id,
                tag_names=list(article.tag_list),
                favorited_by=favorited_by.get(article.pk, []),
            )
            for article in changing
        ]
    )
    for article in changing:
        article.hidden = hidden
    return changing


@unit_of_work
def article_delete(*, article: Article, user: User) -> None:
    """Delete the article with its tag links, favorites and (through comments' receiver) its
    comments. The row lock makes a concurrent or repeated delete a 404, and keeps favorites
    from being added while the favorites to uncount are read. A hidden article (an account
    removal deletes those too) was uncounted when it was hidden."""
    locked = article_lock(article=article, exclusive=True)
    _ensure_author(locked, user)
    favorited_by = list(Favorite.objects.filter(article=locked).values_list("user_id", flat=True))
    article_id, names = locked.pk, list(locked.tag_list)
    locked.delete()
    tags_mark_removed(names=names, article_id=article_id)
    bus.publish(
        ArticleDeleted(
            article_id=article_id, author_id=locked.author_id, slug=locked.slug, title=locked.title
        )
    )
    if not locked.hidden:
        counters.articles_removed(
            [
                counters.CountedArticle(
                    article_id=article_id,
                    author_id=locked.author_id,
                    tag_names=names,
                    favorited_by=favorited_by,
                )
            ]
        )


@unit_of_work
def articles_delete(*, articles: Iterable[Article]) -> int:
    """Delete several articles on their authors' behalf (the admin's "delete selected"),
    each through article_delete, as one bulk operation; one deleted meanwhile is skipped.
    Returns how many were deleted."""
    return bulk_apply(
        "articles.delete",
        articles,
        lambda article: article_delete(article=article, user=article.author),
        gone=NotFound,
    )


@unit_of_work
def article_favorite(*, article: Article, user: User) -> Article:
    """Make the article one of the user's favorites; a repeat changes nothing."""
    locked = article_lock(article=article)
    if locked.hidden:  # hidden by moderation since the caller found it
        raise NotFound("article")
    article.favorites_count = locked.favorites_count
    # The unique (user, article) index says whether it is already a favorite.
    if not insert_new([Favorite(user=user, article=article)]):
        return article
    counters.favorite_added(article_id=article.pk, user_id=user.pk)
    article.favorites_count += 1
    bus.publish(
        ArticleFavorited(
            article_id=article.pk, user_id=user.pk, favorites_count=article.favorites_count
        )
    )
    return article


@unit_of_work
def article_unfavorite(*, article: Article, user: User) -> Article:
    """Take the article out of the user's favorites; a repeat changes nothing. A hidden
    article's too (an account removal takes back every favorite): the reader's count, which
    no longer counted it, stays."""
    locked = article_lock(article=article)
    article.favorites_count = locked.favorites_count
    deleted, _ = Favorite.objects.filter(user=user, article=article).delete()
    if not deleted:
        return article
    counters.favorite_removed(article_id=article.pk, user_id=user.pk, visible=not locked.hidden)
    article.favorites_count -= 1
    bus.publish(
        ArticleUnfavorited(
            article_id=article.pk, user_id=user.pk, favorites_count=article.favorites_count
        )
    )
    return article


def article_lock(*, article: Article, exclusive: bool = False) -> Article:
    """The article's current row, locked until commit; NotFound once it is deleted.

    Every write that adds or removes rows hanging off an article (favorites, comments) takes
    this lock first, and a delete takes it exclusively, so a delete sees the final set of
    those rows and none is ever added to a deleted article. One lock order, the article
    first, so they never deadlock.
    """
    locked = Article.objects.select_for_update(no_key=not exclusive).filter(pk=article.pk).first()
    if locked is None:
        raise NotFound("article")
    return locked
