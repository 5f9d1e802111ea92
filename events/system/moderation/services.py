"""Moderation's writes: readers' flags, the spam check, and a moderator's decisions. The only
place that publishes moderation events (events/system/moderation/events.py).

Visibility belongs to the content's own app (articles.services.article_set_hidden,
comments.services.comment_set_hidden: the counters move there, under the article's lock);
an item's state and its content's `hidden` flag change together here. Every service locks
the content first and the item second, one order, so they never deadlock with each other or
with favorites, comments and deletes.
"""

import dataclasses
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from uuid import UUID

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from articles.models import Article
from articles.services import article_lock, article_set_hidden, articles_set_hidden
from comments.models import Comment
from comments.services import comment_set_hidden
from conduit.errors import Forbidden, Invalid, NotFound
from events import bus
from events.core.context import current_context, handling
from events.core.unit_of_work import unit_of_work
from events.models import EventRecord
from events.ops.events import BulkOperationCompleted
from events.system.moderation.events import (
    ContentApproved,
    ContentFlagged,
    ContentHidden,
    ContentRemoved,
    SpamDetected,
)
from events.system.moderation.models import (
    HIDDEN_STATES,
    Flag,
    ModerationItem,
    Reason,
    Source,
    State,
)
from events.system.moderation.selectors import earlier_repeats
from events.system.moderation.spam import Verdict, spam_verdict
from users.models import User


@unit_of_work
def content_flag(
    *, user: User, article: Article, comment: Comment | None = None, reason: str, note: str = ""
) -> Flag:
    """A reader flags an article (or one of its comments) for review; their flag, which a
    repeat returns unchanged. Flagging your own content is Forbidden (403). Once
    MODERATION_FLAGS_TO_HIDE distinct readers have open flags on it, it is hidden pending
    review."""
    if reason not in Reason.values:
        raise Invalid("reason", "is invalid")
    content = comment or article
    if content.author_id == user.pk:
        raise Forbidden("flag", "can't flag your own content")
    item = _item_for(article=article, comment=comment, scored=True)
    flag = Flag.objects.filter(item=item, flagger=user).first()
    if flag is not None:
        return flag
    flag = Flag.objects.create(
        item=item, source=Source.USER, flagger=user, reason=reason, note=note.strip()
    )
    _requeue(item)
    _publish_flagged(item, flag)
    readers = item.flags.filter(resolved_at__isnull=True, source=Source.USER)
    if item.state == State.FLAGGED and (
        readers.aggregate(n=Count("flagger", distinct=True))["n"]
        >= settings.MODERATION_FLAGS_TO_HIDE
    ):
        _hide(item, trigger="flags")
    return flag


@unit_of_work
def content_check_spam(
    *, article_id: int | None = None, comment_id: int | None = None
) -> Verdict | None:
    """Score an article (after its create or update) or a comment (after its create); at or
    over MODERATION_SPAM_FLAG_SCORE flag it (SpamDetected, ContentFlagged), at or over
    MODERATION_SPAM_HIDE_SCORE hide it pending review. None when the content is gone."""
    if comment_id is None:
        cause = current_context().causation_id
        return articles_check_spam(causes={article_id: cause}).get(article_id)
    comment = Comment.objects.filter(pk=comment_id).first()
    article = Article.objects.filter(pk=comment.article_id).first() if comment else None
    if article is None or comment is None:
        return None
    try:
        article, comment = _lock_content(article, comment)
    except NotFound:  # deleted since
        return None
    verdict = _score(article, comment)
    item = _existing_item(article=article, comment=comment)
    if verdict.score < settings.MODERATION_SPAM_FLAG_SCORE:
        if item is not None:
            _remember_verdict(item, verdict)
        return verdict
    item = item or _item_for(article=article, comment=comment, locked=True)
    _remember_verdict(item, verdict)
    detected = SpamDetected(**_content_fields(item), score=verdict.score, reasons=verdict.reasons)
    # Once per event checked (the worker's handler, run again, finds it done): the flag, the
    # requeue and the hide follow this one publish.
    if not bus.publish_once(detected):
        return verdict
    flag = Flag.objects.create(
        item=item, source=Source.AUTOMATIC, reason=Reason.SPAM, note="; ".join(verdict.reasons)
    )
    _requeue(item)
    _publish_flagged(item, flag)
    if item.state == State.FLAGGED and verdict.score >= settings.MODERATION_SPAM_HIDE_SCORE:
        _hide(item, trigger="spam")
    return verdict


@unit_of_work
def articles_check_spam(*, causes: Mapping[int, UUID | None]) -> dict[int, Verdict]:
    """Score these articles (after their create or update) as content_check_spam scores one,
    in a few statements for them all (the worker's batches); the verdict of each that still
    exists. `causes` maps each article to the event that asked for its check (None: none),
    whose effects what it publishes are: checked again for the same event, an article that
    was flagged then is left as it is (its SpamDetected, whose id derives from the cause, is
    in the audit trail), as content_check_spam's publish_once leaves it."""
    articles = list(Article.objects.select_for_update().filter(pk__in=causes).order_by("pk"))
    repeats = earlier_repeats(articles)
    verdicts = {
        article.pk: spam_verdict(_article_text(article), repeats=repeats[article.pk])
        for article in articles
    }
    items = {
        item.article_id: item
        for item in ModerationItem.objects.select_for_update().filter(
            article_id__in=verdicts, comment__isnull=True
        )
    }
    flagged = [a for a in articles if verdicts[a.pk].score >= settings.MODERATION_SPAM_FLAG_SCORE]
    for article in articles:
        if article.pk in items:
            _remember_verdict(items[article.pk], verdicts[article.pk])
    new_items = [
        ModerationItem(
            article=article,
            author_id=article.author_id,
            spam_score=verdicts[article.pk].score,
            spam_reasons=list(verdicts[article.pk].reasons),
        )
        for article in flagged
        if article.pk not in items
    ]
    for item in ModerationItem.objects.bulk_create(new_items):
        items[item.article_id] = item
    detections = {
        article.pk: SpamDetected(
            **_content_fields(items[article.pk]),
            score=verdicts[article.pk].score,
            reasons=verdicts[article.pk].reasons,
        )
        for article in flagged
    }
    detection_ids = {
        article_id: bus.caused_event_id(detected, cause=causes[article_id])
        for article_id, detected in detections.items()
        if causes[article_id] is not None
    }
    checked_before = set(
        EventRecord.objects.filter(event_id__in=detection_ids.values()).values_list(
            "event_id", flat=True
        )
    )
    fresh = [a for a in flagged if detection_ids.get(a.pk) not in checked_before]
    if not fresh:
        return verdicts
    flags = {
        flag.item_id: flag
        for flag in Flag.objects.bulk_create(
            [
                Flag(
                    item=items[article.pk],
                    source=Source.AUTOMATIC,
                    reason=Reason.SPAM,
                    note="; ".join(verdicts[article.pk].reasons),
                )
                for article in fresh
            ]
        )
    }
    approved = [items[a.pk] for a in fresh if items[a.pk].state == State.APPROVED]
    if approved:  # a new flag puts an approved item back in the queue
        ModerationItem.objects.filter(pk__in=[item.pk for item in approved]).update(
            state=State.FLAGGED
        )
        for item in approved:
            item.state = State.FLAGGED
    open_flags = dict(
        Flag.objects.filter(item__in=flags, resolved_at__isnull=True)
        .values("item")
        .annotate(n=Count("pk"))
        .values_list("item", "n")
    )
    to_hide = [
        items[a.pk]
        for a in fresh
        if items[a.pk].state == State.FLAGGED
        and verdicts[a.pk].score >= settings.MODERATION_SPAM_HIDE_SCORE
    ]
    if to_hide:
        articles_set_hidden(article_ids=[item.article_id for item in to_hide], hidden=True)
        ModerationItem.objects.filter(pk__in=[item.pk for item in to_hide]).update(
            state=State.HIDDEN
        )
        for item in to_hide:
            item.state = State.HIDDEN
    # Each article's events in the order content_check_spam publishes them, in its cause's
    # context; the unit of work writes them all in one statement.
    for article in fresh:
        item, flag, cause = items[article.pk], flags[items[article.pk].pk], causes[article.pk]
        detected = detections[article.pk]
        with handling(cause) if cause is not None else nullcontext():
            if cause is not None:
                detected = dataclasses.replace(detected, event_id=detection_ids[article.pk])
            bus.publish(detected)
            bus.publish(
                ContentFlagged(
                    **_content_fields(item),
                    source=flag.source,
                    reason=flag.reason,
                    flagger_id=flag.flagger_id,
                    open_flags=open_flags.get(item.pk, 0),
                )
            )
            if item in to_hide:
                bus.publish(ContentHidden(**_content_fields(item), trigger="spam"))
    return verdicts


@unit_of_work
def content_approve(*, item: ModerationItem, moderator: User) -> bool:
    """The moderator approves the item: its open flags are resolved and its content is
    visible again. False when it was already approved."""
    return _decide(item, moderator, State.APPROVED)


@unit_of_work
def content_remove(*, item: ModerationItem, moderator: User) -> bool:
    """The moderator removes the item: its content is hidden for good (the row stays, for the
    audit trail) and its open flags are resolved. False when it was already removed."""
    return _decide(item, moderator, State.REMOVED)


def content_review_many(
    *, items: Iterable[ModerationItem], moderator: User, decision: str
) -> dict[str, int]:
    """Approve or remove (`decision`: "approve" or "remove") each item, one transaction and
    one event each, so one item deleted meanwhile spoils none of the others; for more than
    one item, a BulkOperationCompleted with the counts. Returns them."""
    review = {"approve": content_approve, "remove": content_remove}[decision]
    counts = {"selected": 0, "changed": 0, "unchanged": 0, "gone": 0}
    for item in items:
        counts["selected"] += 1
        try:
            outcome = "changed" if review(item=item, moderator=moderator) else "unchanged"
        except NotFound:
            outcome = "gone"
        counts[outcome] += 1
    if counts["selected"] > 1:
        with unit_of_work():
            bus.publish(
                BulkOperationCompleted(
                    kind=f"moderation.{decision}",
                    count=counts["selected"],
                    succeeded=counts["changed"],
                    skipped=counts["unchanged"] + counts["gone"],
                    details=(
                        f"{counts['changed']} changed, {counts['unchanged']} already "
                        f"{'approved' if decision == 'approve' else 'removed'}, "
                        f"{counts['gone']} deleted meanwhile"
                    ),
                )
            )
    return counts


def _decide(item: ModerationItem, moderator: User, state: State) -> bool:
    item = _lock_item(item)
    if item.state == state:
        return False
    was_hidden = item.state in HIDDEN_STATES
    _set_hidden(item, state in HIDDEN_STATES)
    now = timezone.now()
    item.flags.filter(resolved_at__isnull=True).update(resolved_at=now)
    item.state, item.reviewed_at, item.reviewed_by = state, now, moderator
    item.save(update_fields=["state", "reviewed_at", "reviewed_by"])
    decided = ContentApproved if state == State.APPROVED else ContentRemoved
    bus.publish(decided(**_content_fields(item), moderator_id=moderator.pk, was_hidden=was_hidden))
    return True


def _lock_content(article: Article, comment: Comment | None) -> tuple[Article, Comment | None]:
    """The content's current rows, locked until commit (the article exclusively, as a
    delete or a hide takes it); NotFound once deleted."""
    article = article_lock(article=article, exclusive=True)
    if comment is not None:
        comment = Comment.objects.select_for_update().filter(pk=comment.pk).first()
        if comment is None:
            raise NotFound("comment")
    return article, comment


def _lock_item(item: ModerationItem) -> ModerationItem:
    """The item's current row and its content, locked in that order: content, then item."""
    _lock_content(
        Article(pk=item.article_id), Comment(pk=item.comment_id) if item.comment_id else None
    )
    locked = (
        ModerationItem.objects.select_for_update(of=("self",))
        .select_related("article", "comment")
        .filter(pk=item.pk)
        .first()
    )
    if locked is None:
        raise NotFound("item")
    return locked


def _score(article: Article, comment: Comment | None) -> Verdict:
    post = comment if comment is not None else article
    text = comment.body if comment is not None else _article_text(article)
    return spam_verdict(text, repeats=earlier_repeats([post])[post.pk])


def _article_text(article: Article) -> str:
    return "\n".join(getattr(article, field) for field in Article.TEXT_FIELDS)


def _existing_item(*, article: Article, comment: Comment | None) -> ModerationItem | None:
    items = ModerationItem.objects.select_for_update()
    if comment is not None:
        return items.filter(comment=comment).first()
    return items.filter(article=article, comment__isnull=True).first()


def _item_for(
    *, article: Article, comment: Comment | None, locked: bool = False, scored: bool = False
) -> ModerationItem:
    """The content's review item, made on its first flag (`scored`: with the spam scorer's
    verdict, for the queue); the content is locked first (so two first flags make one
    item)."""
    if not locked:
        article, comment = _lock_content(article, comment)
    item = _existing_item(article=article, comment=comment)
    if item is None:
        content = comment or article
        item = ModerationItem.objects.create(
            article=article, comment=comment, author_id=content.author_id
        )
        item.article, item.comment = article, comment
        if scored:
            _remember_verdict(item, _score(article, comment))
    return item


def _remember_verdict(item: ModerationItem, verdict: Verdict) -> None:
    item.spam_score, item.spam_reasons = verdict.score, list(verdict.reasons)
    item.save(update_fields=["spam_score", "spam_reasons"])


def _requeue(item: ModerationItem) -> None:
    """A new flag puts an approved item back in the queue."""
    if item.state == State.APPROVED:
        item.state = State.FLAGGED
        item.save(update_fields=["state"])


def _hide(item: ModerationItem, *, trigger: str) -> None:
    _set_hidden(item, True)
    item.state = State.HIDDEN
    item.save(update_fields=["state"])
    bus.publish(ContentHidden(**_content_fields(item), trigger=trigger))


def _set_hidden(item: ModerationItem, hidden: bool) -> bool:
    if item.comment_id:
        return comment_set_hidden(comment=item.comment, hidden=hidden)
    return article_set_hidden(article=item.article, hidden=hidden)


def _publish_flagged(item: ModerationItem, flag: Flag) -> None:
    bus.publish(
        ContentFlagged(
            **_content_fields(item),
            source=flag.source,
            reason=flag.reason,
            flagger_id=flag.flagger_id,
            open_flags=item.flags.filter(resolved_at__isnull=True).count(),
        )
    )


def _content_fields(item: ModerationItem) -> dict[str, object]:
    return {
        "item_id": item.pk,
        "content_type": item.content_type,
        "article_id": item.article_id,
        "comment_id": item.comment_id,
        "author_id": item.author_id,
    }
