"""Moderation events: content flagged (by a reader or the spam scorer), spam detected, content
hidden pending review, and a moderator's decision (approved or removed).

Published by the moderation app's services (moderation/services.py), from the flag endpoints,
the spam check that runs in the worker after every article create and update and comment
create, and the admin's review queue. Each is filed under its review item (one per article
or comment, `moderation.ModerationItem`), and names the content: `content_type` is "article"
or "comment", `article_id` is the article (a comment's article for a comment) and
`comment_id` the comment (None for an article). The three that change visibility,
ContentHidden, ContentApproved and ContentRemoved, change API reads (moderation/reads.py);
the others none.
"""

from dataclasses import dataclass
from typing import ClassVar

from events.core.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class ModerationEvent(Event):
    """A moderation fact about one article or comment, filed under its review item."""

    abstract: ClassVar[bool] = True
    category: ClassVar[str] = "moderation"
    aggregate_type: ClassVar[str] = "moderation_item"
    aggregate_id_field: ClassVar[str] = "item_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpamDetected(ModerationEvent):
    """The spam scorer gave a new or edited article or a new comment a `score` at or over the
    flagging threshold, for `reasons` (one line per rule that scored)."""

    item_id: int
    content_type: str
    article_id: int
    comment_id: int | None
    author_id: int
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentFlagged(ModerationEvent):
    """Content was flagged for review: `source` "user" (a reader's flag, `flagger_id`, with
    `reason` "spam", "abuse" or "other") or "automatic" (the spam scorer: reason "spam",
    flagger_id None). `open_flags` counts the item's unresolved flags, this one included."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "the flag is a row of the Review queue, where moderators act; hiding after enough "
        "flags is decided by the flag's own service"
    )

    item_id: int
    content_type: str
    article_id: int
    comment_id: int | None
    author_id: int
    source: str
    reason: str
    flagger_id: int | None
    open_flags: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentHidden(ModerationEvent):
    """Content was hidden pending review: from every API read but staff's, from every count.
    `trigger` is "spam" (a score at or over the hiding threshold) or "flags" (enough
    distinct readers flagged it)."""

    item_id: int
    content_type: str
    article_id: int
    comment_id: int | None
    author_id: int
    trigger: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentApproved(ModerationEvent):
    """A moderator approved the content: its flags are resolved and it is visible again
    (`was_hidden`: whether it had been hidden), everywhere, in every count."""

    item_id: int
    content_type: str
    article_id: int
    comment_id: int | None
    author_id: int
    moderator_id: int
    was_hidden: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentRemoved(ModerationEvent):
    """A moderator removed the content: hidden for good (`was_hidden`: whether it already
    was), its row kept for the audit trail."""

    item_id: int
    content_type: str
    article_id: int
    comment_id: int | None
    author_id: int
    moderator_id: int
    was_hidden: bool
