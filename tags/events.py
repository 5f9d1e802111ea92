"""Facts about tags, published by tags.services."""

from dataclasses import dataclass
from typing import Any, ClassVar

from events.core.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class TagEvent(Event):
    """A fact about one tag, filed under its name in the audit trail."""

    abstract: ClassVar[bool] = True
    aggregate_type: ClassVar[str] = "tag"
    aggregate_id_field: ClassVar[str] = "name"


@dataclass(frozen=True, slots=True, kw_only=True)
class TagCreated(TagEvent):
    """A tag name was used for the first time."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "published beside the article event that used the tag, whose handlers forget the "
        "reads it changes; kept as the tag's history in the audit trail"
    )

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TagUsed(TagEvent):
    """A tag was attached to an article."""

    name: str
    article_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TagRemoved(TagEvent):
    """A tag was detached from an article.

    Version 1 also told of an unused tag deleted outright (`article_id` None); such records
    load as TagDeleted.
    """

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "published beside the article event that detached the tag, whose handlers forget the "
        "reads it changes; kept as the tag's history in the audit trail"
    )

    version: ClassVar[int] = 2

    name: str
    article_id: int

    @classmethod
    def upcast_type(
        cls, version: int, payload: dict[str, Any]
    ) -> tuple[type[Event], dict[str, Any]]:
        if version == 1:
            if payload["article_id"] is None:
                return TagDeleted, TagDeleted.upcast(1, {"name": payload["name"]})
            return cls, payload  # a detachment: the fields of version 2
        return super(TagRemoved, cls).upcast_type(version, payload)


@dataclass(frozen=True, slots=True, kw_only=True)
class TagDeleted(TagEvent):
    """A tag no article used was deleted (tags.services.tags_delete_unused)."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "an unused tag shows in no read; kept as the tag's history in the audit trail"
    )

    name: str
