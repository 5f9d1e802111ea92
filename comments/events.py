"""Facts about comments, published by comments.services."""

from dataclasses import dataclass
from typing import ClassVar

from events.core.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentEvent(Event):
    """A fact about one comment, filed under it in the audit trail."""

    abstract: ClassVar[bool] = True
    aggregate_type: ClassVar[str] = "comment"
    aggregate_id_field: ClassVar[str] = "comment_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleCommentAdded(CommentEvent):
    """A user commented on an article."""

    comment_id: int
    article_id: int
    author_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentDeleted(CommentEvent):
    """A comment was deleted, by its author or with its article."""

    comment_id: int
    article_id: int
    author_id: int
