"""Facts about tags, published by tags.services."""

from dataclasses import dataclass
from typing import ClassVar

from events.base import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class TagCreated(Event):
    """A tag name was used for the first time."""

    name: str

    aggregate_type: ClassVar[str] = "tag"
    aggregate_id_field: ClassVar[str] = "name"


@dataclass(frozen=True, slots=True, kw_only=True)
class TagUsed(Event):
    """A tag was attached to an article."""

    name: str
    article_id: int

    aggregate_type: ClassVar[str] = "tag"
    aggregate_id_field: ClassVar[str] = "name"


@dataclass(frozen=True, slots=True, kw_only=True)
class TagRemoved(Event):
    """A tag was detached from an article (article_id), or deleted while unused (None)."""

    name: str
    article_id: int | None

    aggregate_type: ClassVar[str] = "tag"
    aggregate_id_field: ClassVar[str] = "name"
