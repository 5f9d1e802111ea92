"""Writes to tags. The only place that publishes tag events.

The article-tag link rows belong to articles; articles.services writes them and calls
`tags_mark_used` / `tags_mark_removed` here so that the tag facts are told in one place.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Greatest

from conduit.errors import Invalid
from events import bus
from tags.events import TagCreated, TagRemoved, TagUsed
from tags.models import Tag

TAG_NAME_MAX_LENGTH = Tag._meta.get_field("name").max_length


def tag_names_clean(names: Sequence[str]) -> list[str]:
    """Trimmed names in the author's order, duplicates dropped; 422 for blank or long names."""
    cleaned = [name.strip() for name in names]
    if any(not name for name in cleaned):
        raise Invalid("tagList", "can't contain blank names")
    if any(len(name) > TAG_NAME_MAX_LENGTH for name in cleaned):
        raise Invalid("tagList", f"names are at most {TAG_NAME_MAX_LENGTH} characters")
    return list(dict.fromkeys(cleaned))


@transaction.atomic(savepoint=False)
def tags_get_or_create(*, names: Sequence[str]) -> list[Tag]:
    """The tags called `names`, in that order, creating (and announcing) the new ones."""
    names = tag_names_clean(names)
    found = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in found:
            found[name] = _tag_create(name)
    return [found[name] for name in names]


def _tag_create(name: str) -> Tag:
    try:
        # A savepoint: a concurrent request may create the same name between our read and
        # this insert; the unique index decides, and the loser reads the winner's row.
        with transaction.atomic():
            tag = Tag.objects.create(name=name)
    except IntegrityError:
        return Tag.objects.get(name=name)
    bus.publish(TagCreated(name=name))
    return tag


def tags_mark_used(*, names: Sequence[str], article_id: int) -> None:
    """Count and announce that `names` were attached to the article (the links are already
    written)."""
    Tag.objects.filter(name__in=names).update(articles_count=F("articles_count") + 1)
    for name in names:
        bus.publish(TagUsed(name=name, article_id=article_id))


def tags_mark_removed(*, names: Sequence[str], article_id: int) -> None:
    """Count and announce that `names` were detached from the article (the links are already
    gone)."""
    Tag.objects.filter(name__in=names).update(articles_count=Greatest(F("articles_count") - 1, 0))
    for name in names:
        bus.publish(TagRemoved(name=name, article_id=article_id))


@transaction.atomic
def tags_delete_unused() -> list[str]:
    """Delete every tag no article uses; returns their names."""
    unused = Tag.objects.filter(article_tags__isnull=True)
    names = list(unused.values_list("name", flat=True))
    unused.filter(name__in=names).delete()
    for name in names:
        bus.publish(TagRemoved(name=name, article_id=None))
    return names


def tags_recount() -> None:
    """Recount how many articles carry each tag (see articles.services.article_counters_rebuild)."""
    links = Tag.objects.filter(pk=OuterRef("pk")).annotate(n=Count("article_tags")).values("n")
    Tag.objects.update(articles_count=Subquery(links))
