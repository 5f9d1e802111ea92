"""What a reader marked, shown on the rows they read: the articles they favorited and the
authors they follow (ArticleRow's `favorited` and the author's `following`). The rows every
viewer shares are read and remembered once (articles.selectors); the marks are added by at
most one small query, remembered until the reader favorites or follows (users' viewer_scope,
renewed as articles/reads.py and users/reads.py say)."""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db.models import IntegerField, Value

from articles.models import Favorite
from conduit.readcache import read_through
from users.models import Follow, User
from users.reads import viewer_scope

_FAVORITED, _FOLLOWING = 1, 2

# A reader's marks are remembered whole, everything they favorited and everyone they follow,
# while that is at most this many: then a new article, which changes the pages, changes no
# reader's marks (conduit.readcache). Beyond it, and with the read cache off, per page.
WHOLE_MARKS_LIMIT = 2000


def for_viewer[Row: Any](rows: list[Row], viewer: User | None) -> list[Row]:
    """The ArticleRows with `favorited` and the author's `following` for the viewer (the
    shared rows as they are for anonymous viewers): at most one query, remembered until the
    viewer favorites or follows."""
    if viewer is None or not rows:
        return rows
    marks = None
    if settings.READ_CACHE_SECONDS:
        marks = read_through(
            (viewer_scope(viewer.pk),), ("marks", viewer.pk), lambda: _marks(viewer)
        )
    if marks is None:
        article_ids = tuple(row.id for row in rows)
        author_ids = tuple(sorted({row.author.id for row in rows}))
        marks = read_through(
            (viewer_scope(viewer.pk),),
            ("marks", viewer.pk, article_ids, author_ids),
            lambda: _marks(viewer, article_ids, author_ids),
        )
    favorited, following = marks
    return [
        replace(
            row,
            favorited=row.id in favorited,
            author=replace(row.author, following=row.author.id in following),
        )
        if row.id in favorited or row.author.id in following
        else row
        for row in rows
    ]


def _marks(
    viewer: User,
    article_ids: Sequence[int] | None = None,
    author_ids: Sequence[int] | None = None,
) -> tuple[frozenset[int], frozenset[int]] | None:
    """Which of the articles the viewer favorited, and which of the authors they follow; all
    of them when no ids are given, or None when they are more than WHOLE_MARKS_LIMIT."""
    kind = IntegerField()
    favorites = Favorite.objects.filter(user=viewer)
    follows = Follow.objects.filter(follower=viewer)
    if article_ids is not None:
        favorites = favorites.filter(article_id__in=article_ids)
    if author_ids is not None:
        follows = follows.filter(followed_id__in=author_ids)
    favorited = favorites.annotate(kind=Value(_FAVORITED, output_field=kind)).values_list(
        "kind", "article_id"
    )
    following = follows.annotate(kind=Value(_FOLLOWING, output_field=kind)).values_list(
        "kind", "followed_id"
    )
    pairs = favorited.union(following, all=True)
    whole = article_ids is None and author_ids is None
    found = list(pairs[: WHOLE_MARKS_LIMIT + 1] if whole else pairs)
    if whole and len(found) > WHOLE_MARKS_LIMIT:
        return None
    return (
        frozenset(pk for kind, pk in found if kind == _FAVORITED),
        frozenset(pk for kind, pk in found if kind == _FOLLOWING),
    )
