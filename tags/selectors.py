"""Reads of tags."""

from conduit.readcache import LISTS, ROWS, read_through
from tags.models import Tag


def tag_names_in_use() -> list[str]:
    """Every tag attached to at least one article, most used first, then by name (read from
    the tags' counters, and remembered until the next business change)."""
    return read_through(
        (ROWS, LISTS),
        ("tags-in-use",),
        lambda: list(
            Tag.objects.filter(articles_count__gt=0)
            .order_by("-articles_count", "name")
            .values_list("name", flat=True)
        ),
    )


def tag_articles_count(*, name: str) -> int:
    """How many articles carry the tag (its counter); 0 for a name no tag has."""
    return Tag.objects.filter(name=name).values_list("articles_count", flat=True).first() or 0
