"""Facts about articles and favorites, published by articles.services."""

from dataclasses import dataclass
from typing import ClassVar

from events.base import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleCreated(Event):
    """An author published a new article."""

    article_id: int
    author_id: int
    slug: str
    title: str
    tag_names: tuple[str, ...]

    aggregate_type: ClassVar[str] = "article"
    aggregate_id_field: ClassVar[str] = "article_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleUpdated(Event):
    """An author saved an edit of their article (old_slug is set only when the slug changed)."""

    article_id: int
    author_id: int
    slug: str
    old_slug: str | None
    changed_fields: tuple[str, ...]

    aggregate_type: ClassVar[str] = "article"
    aggregate_id_field: ClassVar[str] = "article_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleDeleted(Event):
    """An article was deleted, with its favorites and comments."""

    article_id: int
    author_id: int
    slug: str
    title: str

    aggregate_type: ClassVar[str] = "article"
    aggregate_id_field: ClassVar[str] = "article_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleFavorited(Event):
    """A user favorited an article they had not favorited; favorites_count is the new count."""

    article_id: int
    user_id: int
    favorites_count: int

    aggregate_type: ClassVar[str] = "article"
    aggregate_id_field: ClassVar[str] = "article_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleUnfavorited(Event):
    """A user took back their favorite of an article; favorites_count is the new count."""

    article_id: int
    user_id: int
    favorites_count: int

    aggregate_type: ClassVar[str] = "article"
    aggregate_id_field: ClassVar[str] = "article_id"
