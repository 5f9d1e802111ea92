"""Facts about articles and favorites, published by articles.services."""

from dataclasses import dataclass
from typing import ClassVar

from events.core.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleEvent(Event):
    """A fact about one article, filed under it in the audit trail."""

    abstract: ClassVar[bool] = True
    aggregate_type: ClassVar[str] = "article"
    aggregate_id_field: ClassVar[str] = "article_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleCreated(ArticleEvent):
    """An author published a new article."""

    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"author_id": ("slug", "title")}

    article_id: int
    author_id: int
    slug: str
    title: str
    tag_names: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleUpdated(ArticleEvent):
    """An author saved an edit of their article (old_slug is set only when the slug changed)."""

    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"author_id": ("slug", "old_slug")}

    article_id: int
    author_id: int
    slug: str
    old_slug: str | None
    changed_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleDeleted(ArticleEvent):
    """An article was deleted, with its favorites and comments."""

    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"author_id": ("slug", "title")}

    article_id: int
    author_id: int
    slug: str
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleFavorited(ArticleEvent):
    """A user favorited an article they had not favorited; favorites_count is the new count."""

    article_id: int
    user_id: int
    favorites_count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleUnfavorited(ArticleEvent):
    """A user took back their favorite of an article; favorites_count is the new count."""

    article_id: int
    user_id: int
    favorites_count: int
