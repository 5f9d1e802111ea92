"""Reads for moderation: what the spam scorer needs to know, and the review queue."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from articles.models import Article
from comments.models import Comment
from events.system.moderation.models import ModerationItem


def earlier_repeats(*, article: Article | None = None, comment: Comment | None = None) -> int:
    """How many other articles (or comments) with the same body its author posted before it,
    within the repeat window before it: hidden ones included, since posting them again is the
    point. Counted from the post's own time, not the check's: a check that runs late (the
    worker behind a burst) scores the first of ten identical posts as no repeat."""
    post = comment if comment is not None else article
    if comment is not None:
        posts = Comment.objects.filter(author_id=comment.author_id, body=comment.body)
    else:
        posts = Article.objects.filter(author_id=article.author_id, body=article.body)
    since = post.created_at - timedelta(minutes=settings.MODERATION_SPAM_REPEAT_MINUTES)
    before = Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, pk__lt=post.pk)
    return posts.filter(before, created_at__gte=since).count()


def review_queue() -> QuerySet[ModerationItem]:
    """Every review item with what the queue shows: the content and its author in the same
    query, and its flag counts (open ones apart)."""
    return ModerationItem.objects.select_related("article", "comment", "author").annotate(
        flags_count=Count("flags"),
        open_flags_count=Count("flags", filter=Q(flags__resolved_at__isnull=True)),
    )
