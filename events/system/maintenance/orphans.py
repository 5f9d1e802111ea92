"""Every kind of orphaned data `find_orphans` looks for: the event system's
(events/ops/orphans.py) and the apps' own, below. An app whose rows can be orphaned adds its
kind here, with a fix that goes through its services."""

from collections.abc import Sequence

from events.ops.orphans import EVENT_SYSTEM_ORPHANS, OrphanKind
from tags.models import Tag
from tags.services import tags_delete_unused


def find_unused_tags() -> list[str]:
    unused = Tag.objects.filter(article_tags__isnull=True).order_by("name")
    return list(unused.values_list("name", flat=True))


def delete_unused_tags(names: Sequence[str]) -> int:
    """Through tags_delete_unused (a TagDeleted each): every tag unused now, found or not."""
    return len(tags_delete_unused())


ORPHAN_KINDS: tuple[OrphanKind, ...] = (
    OrphanKind("unused_tags", "tags no article uses", find_unused_tags, delete_unused_tags),
    *EVENT_SYSTEM_ORPHANS,
)
