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

    name: str
