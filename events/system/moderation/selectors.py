"""Reads for moderation: what the spam scorer needs to know, and the review queue."""

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from articles.models import Article
from comments.models import Comment
from events.system.moderation.models import ModerationItem


def earlier_repeats(posts: Sequence[Article] | Sequence[Comment]) -> dict[int, int]:
    """For each of these articles (or comments), by primary key: how many other posts with
    the same body its author posted before it, within the repeat window before it: hidden
    ones included, since posting them again is the point. Counted from the post's own time,
    not the check's: a check that runs late (the worker behind a burst) scores the first of
    ten identical posts as no repeat. One query for them all."""
    if not posts:
        return {}
    model = type(posts[0])
    window = timedelta(minutes=settings.MODERATION_SPAM_REPEAT_MINUTES)
    before = Q(created_at__lt=OuterRef("created_at")) | Q(
        created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")
    )
    repeats = (
        model.objects.filter(
            before,
            author_id=OuterRef("author_id"),
            body=OuterRef("body"),
            created_at__gte=OuterRef("created_at") - window,
        )
        .order_by()
        .values("author_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    counted = model.objects.filter(pk__in=[post.pk for post in posts]).annotate(
        repeats=Coalesce(Subquery(repeats[:1]), 0)
    )
    found = dict(counted.values_list("pk", "repeats"))
    return {post.pk: found.get(post.pk, 0) for post in posts}


def review_queue() -> QuerySet[ModerationItem]:
    """Every review item with what the queue shows: the content and its author in the same
    query, and its flag counts (open ones apart)."""
    return ModerationItem.objects.select_related("article", "comment", "author").annotate(
        flags_count=Count("flags"),
        open_flags_count=Count("flags", filter=Q(flags__resolved_at__isnull=True)),
    )
