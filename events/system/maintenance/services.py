"""The right to be forgotten, and the right of access: an account's data removed (or its
content kept and the account anonymised) through the services, its personal data redacted in
the audit trail; an account's data exported.

`cleanup_user_data` asks (UserDataCleanupRequested), the worker does it
(maintenance/receivers.py → user_data_clean_up), and a BulkOperationCompleted ends it. Every
step is idempotent, so a second request, or a redelivered one, changes nothing.
"""

from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q

from articles.models import Article, Favorite
from comments.models import Comment
from events import bus
from events.core.operations import bulk_operation
from events.core.unit_of_work import unit_of_work
from events.models import EventRecord
from events.ops.redaction import personal_data_records, personal_data_redact
from events.system.maintenance.events import UserDataCleanupRequested
from users.models import Follow, User
from users.services import user_anonymise, user_delete, user_is_anonymised

# What --keep-content keeps, with its history in the audit trail.
KEPT_CONTENT = ("article", "comment")


@dataclass(frozen=True, slots=True)
class CleanupPlan:
    """What a cleanup of account `user_id` would do now."""

    user_id: int
    username: str | None  # None once the account is gone
    keep_content: bool
    account: str  # "delete", "anonymise" or "none" (gone, or anonymised already)
    articles: int  # deleted, with the comments on them (kept with keep_content)
    comments: int  # their own comments deleted (kept with keep_content)
    favorites: int  # taken back
    follows: int  # undone, both ways
    payloads: int  # stored event payloads whose personal data is redacted

    @property
    def changes_nothing(self) -> bool:
        counts = (self.articles, self.comments, self.favorites, self.follows, self.payloads)
        return self.account == "none" and not any(counts)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def account_known(*, user_id: int) -> bool:
    """The account exists, or once did (the audit trail has records about it)."""
    return (
        User.objects.filter(pk=user_id).exists()
        or EventRecord.objects.filter(aggregate_type="user", aggregate_id=str(user_id)).exists()
    )


def user_data_cleanup_plan(*, user_id: int, keep_content: bool) -> CleanupPlan:
    user = User.objects.filter(pk=user_id).first()
    payloads = len(
        personal_data_records(user_id=user_id, keep_aggregates=KEPT_CONTENT if keep_content else ())
    )
    if user is None:
        return CleanupPlan(user_id, None, keep_content, "none", 0, 0, 0, 0, payloads)
    if keep_content:
        account = "none" if user_is_anonymised(user) else "anonymise"
        articles = comments = 0
    else:
        account = "delete"
        articles = Article.objects.filter(author=user).count()
        comments = Comment.objects.filter(author=user).exclude(article__author=user).count()
    return CleanupPlan(
        user_id=user_id,
        username=user.username,
        keep_content=keep_content,
        account=account,
        articles=articles,
        comments=comments,
        favorites=Favorite.objects.filter(user=user).count(),
        follows=Follow.objects.filter(Q(follower=user) | Q(followed=user)).count(),
        payloads=payloads,
    )


def user_data_cleanup_request(*, user_id: int, keep_content: bool) -> None:
    """Ask the worker to clean up the account's data (UserDataCleanupRequested)."""
    bus.publish(UserDataCleanupRequested(user_id=user_id, keep_content=keep_content))


def user_data_clean_up(*, user_id: int, keep_content: bool) -> bool:
    """The cleanup itself, in the worker, in one transaction, as one bulk operation.

    Without `keep_content`: user_delete removes the account's follows, favorites, articles
    (with the comments on them) and comments, each through its service with its own event,
    then the account. With it: user_anonymise undoes the follows, takes back the favorites and
    anonymises the account, whose articles and comments stay. Either way the account's
    personal data is then redacted in the audit trail (events.ops.redaction), all but the
    records of content kept. True when anything changed; a repeat changes nothing."""
    with unit_of_work(), bulk_operation("user_data.cleanup") as operation:
        user = User.objects.filter(pk=user_id).first()
        account = "gone already"
        if user is not None and keep_content:
            account = "anonymised" if user_anonymise(user=user) else "anonymised already"
        elif user is not None:
            user_delete(user=user)
            account = "deleted"
        redacted = personal_data_redact(
            user_id=user_id, keep_aggregates=KEPT_CONTENT if keep_content else ()
        )
        changed = bool(
            account in ("anonymised", "deleted") or redacted or operation.events_published
        )
        if changed:
            operation.done()
        else:
            operation.skip()
        operation.note(f"account {user_id} {account}; {redacted} stored payloads redacted")
    return changed


def user_data_export(*, user_id: int) -> dict[str, Any]:
    """Everything Conduit keeps about the account, as JSON-ready data (the right of access):
    the account, its articles, comments, favorites and follows, and the audit records about
    it or made by it."""
    user = User.objects.get(pk=user_id)
    articles = Article.objects.filter(author=user).order_by("created_at")
    comments = Comment.objects.filter(author=user).select_related("article").order_by("pk")
    records = EventRecord.objects.filter(
        Q(aggregate_type="user", aggregate_id=str(user_id)) | Q(actor_id=user_id)
    ).order_by("occurred_at", "event_id")
    return {
        "account": {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "bio": user.bio,
            "image": user.image,
            "active": user.is_active,
            "joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "articles": [
            {
                "slug": article.slug,
                "title": article.title,
                "description": article.description,
                "body": article.body,
                "tagList": list(article.tag_list),
                "createdAt": article.created_at.isoformat(),
            }
            for article in articles
        ],
        "comments": [
            {
                "id": comment.pk,
                "article": comment.article.slug,
                "body": comment.body,
                "createdAt": comment.created_at.isoformat(),
            }
            for comment in comments
        ],
        "favorites": list(
            Favorite.objects.filter(user=user)
            .order_by("pk")
            .values_list("article__slug", flat=True)
        ),
        "following": list(
            Follow.objects.filter(follower=user)
            .order_by("pk")
            .values_list("followed__username", flat=True)
        ),
        "followers": list(
            Follow.objects.filter(followed=user)
            .order_by("pk")
            .values_list("follower__username", flat=True)
        ),
        "audit_trail": [
            {
                "event_id": str(record.event_id),
                "type": record.type,
                "occurred_at": record.occurred_at.isoformat(),
                "payload": record.payload,
            }
            for record in records.iterator()
        ],
    }
