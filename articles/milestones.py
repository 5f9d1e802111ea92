"""Milestone notices: when the site's article count reaches a round number (every
ARTICLES_MILESTONE_EVERY articles, 100 by default; 0 turns them off), the staff (ADMINS)
get an email and the milestone is recorded (ArticleMilestone), once per milestone.

`notify_staff_of_milestone` runs in the worker after each ArticleCreated and reads the count
from the counters (visible articles, as `articlesCount` counts them), so the article that
crosses the line and any created concurrently with it see the same milestone; the primary
key of the record lets exactly one of them send. Its row is written before the email and
in the same transaction, so a failed email rolls the record back and the worker retries the
delivery; a milestone already recorded (deletes took the count back below it, and it was
reached again) is not announced twice. A check that runs late (the worker behind a burst)
announces every milestone crossed since the last one recorded, each once.
"""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum

from articles.events import ArticleCreated
from articles.models import Article, ArticleMilestone, ArticleTotal
from events.core.wiring import handles_batches


def articles_total() -> int:
    """The site's article count, as the list's `articlesCount` reads it."""
    return ArticleTotal.objects.aggregate(total=Sum("articles_count"))["total"] or 0


@handles_batches
def notify_staff_of_milestone(events: Sequence[ArticleCreated]) -> None:
    """Background handler of batches (ArticleCreated): record and announce each milestone the
    count has crossed since the last one recorded (a check that runs late, after a burst,
    finds several), each once, with the batch's last article as the one that crossed it."""
    every = settings.ARTICLES_MILESTONE_EVERY
    if every <= 0:
        return
    event = events[-1]
    total = articles_total()
    highest = total // every * every
    last = ArticleMilestone.objects.aggregate(last=Max("articles_count"))["last"]
    # None recorded yet (the notices were just turned on): the highest reached only.
    first = highest if last is None else last + every
    for milestone in range(max(first, every), highest + 1, every):
        try:
            with transaction.atomic():
                ArticleMilestone.objects.create(
                    articles_count=milestone, article_id=event.article_id
                )
        except IntegrityError:  # a concurrent delivery recorded it first, and sends the email
            continue
        mail_admins(f"{milestone:,} articles", _notice(milestone, total, event))


def _notice(milestone: int, total: int, event: ArticleCreated) -> str:
    article = Article.objects.filter(pk=event.article_id).select_related("author").first()
    by = (
        f'"{article.title}" by {article.author.username} (/api/articles/{article.slug})'
        if article is not None
        else f'"{event.title}" (since deleted)'
    )
    return (
        f"Conduit reached {milestone:,} articles with {by}.\n"
        f"The site counts {total:,} articles now.\n"
    )
