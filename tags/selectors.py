"""Reads of tags."""

from collections.abc import Iterable
from functools import lru_cache

from conduit.readcache import read_through
from conduit.statements import Statement
from tags.models import Tag
from tags.reads import TAGS_IN_USE


def tag_names_in_use() -> list[str]:
    """Every tag attached to at least one article, most used first, then by name (read from
    the tags' counters, and remembered until an article renews them: tags/reads.py)."""
    return read_through((TAGS_IN_USE,), ("tags-in-use",), _tags_in_use().column)


@lru_cache(maxsize=1)
def _tags_in_use() -> Statement:
    """Built once (conduit/statements.py): every new article makes every process read the tags
    again."""
    in_use = Tag.objects.filter(articles_count__gt=0).order_by("-articles_count", "name")
    return Statement.of(in_use.values_list("name"))


def tag_articles_counts(*, names: Iterable[str]) -> dict[str, int]:
    """How many articles carry each tag (its counter), by name; 0 for a name no tag has."""
    names = set(names)
    counts = dict(Tag.objects.filter(name__in=names).values_list("name", "articles_count"))
    return {name: counts.get(name, 0) for name in names}
