"""Reads of tags."""

from django.db.models import Count, QuerySet

from tags.models import Tag


def tag_names_in_use() -> QuerySet[Tag, str]:
    """Every tag attached to at least one article, most used first, then by name."""
    return (
        Tag.objects.annotate(uses=Count("article_tags"))
        .filter(uses__gt=0)
        .order_by("-uses", "name")
        .values_list("name", flat=True)
    )
