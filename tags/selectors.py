"""Reads of tags."""

from django.db.models import QuerySet

from tags.models import Tag


def tag_names_in_use() -> QuerySet[Tag, str]:
    """Every tag attached to at least one article, most used first, then by name (read from
    the tags' counters, not counted)."""
    return (
        Tag.objects.filter(articles_count__gt=0)
        .order_by("-articles_count", "name")
        .values_list("name", flat=True)
    )
