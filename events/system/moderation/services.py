"""Moderation's writes: readers' flags, the spam check, and a moderator's decisions. The only
place that publishes moderation events (events/system/moderation/events.py).

Visibility belongs to the content's own app (articles.services.article_set_hidden,
comments.services.comment_set_hidden: the counters move there, under the article's lock);
an item's state and its content's `hidden` flag change together here. Every service locks
the content first and the item second, one order, so they never deadlock with each other or
with favorites, comments and deletes.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from articles.models import Article
from articles.services import article_lock, article_set_hidden
from comments.models import Comment
from comments.services import comment_set_hidden
from conduit.errors import Forbidden, Invalid, NotFound
from events import bus
from events.core.unit_of_work import unit_of_work
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
    comment = Comment.objects.filter(pk=comment_id).first() if comment_id else None
    article = Article.objects.filter(pk=comment.article_id if comment else article_id).first()
    if article is None or (comment_id and comment is None):
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
    if comment is not None:
        text = comment.body
    else:
        text = "\n".join(getattr(article, field) for field in Article.TEXT_FIELDS)
    return spam_verdict(text, repeats=earlier_repeats(article=article, comment=comment))


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
