"""The review queue: one item per flagged article or comment, and the flags on it."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from articles.models import Article
from comments.models import Comment


class State(models.TextChoices):
    # In the queue and still visible (flags below the thresholds).
    FLAGGED = "flagged", "flagged"
    # In the queue and hidden from every read but staff's until a moderator decides.
    HIDDEN = "hidden", "hidden pending review"
    APPROVED = "approved", "approved"
    # Hidden for good; the content's row is kept for the audit trail.
    REMOVED = "removed", "removed"


PENDING = (State.FLAGGED, State.HIDDEN)
HIDDEN_STATES = (State.HIDDEN, State.REMOVED)


class Reason(models.TextChoices):
    SPAM = "spam"
    ABUSE = "abuse"
    OTHER = "other"


class Source(models.TextChoices):
    USER = "user"
    AUTOMATIC = "automatic"


class ModerationItem(models.Model):
    """An article or a comment under review. Its state and the content's `hidden` flag change
    together, only through events.system.moderation.services."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    # Set for a comment's item (`article` is then the comment's article).
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.FLAGGED)
    # The spam scorer's last verdict on the content (moderation/spam.py).
    spam_score = models.PositiveIntegerField(default=0)
    spam_reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        # The admin's name for the list (docs/moderation.md uses it too).
        verbose_name_plural = "review queue"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article"],
                condition=models.Q(comment__isnull=True),
                name="moderationitem_article_once",
            ),
            models.UniqueConstraint(fields=["comment"], name="moderationitem_comment_once"),
        ]
        indexes = [models.Index(fields=["state", "-created_at"], name="moderationitem_queue")]
        permissions = [("moderate_content", "Can approve and remove flagged content")]

    def __str__(self) -> str:
        # The admin's title for an item's page (its queryset brings the article and author).
        if self.comment_id:
            return f"comment by {self.author.username} on {self.article.slug}"
        return f"article {self.article.slug}"

    @property
    def content_type(self) -> str:
        return "comment" if self.comment_id else "article"


class Flag(models.Model):
    """One reason to review an item: a reader's flag (one per reader and item) or the spam
    scorer's. Approving or removing the item resolves its open flags."""

    item = models.ForeignKey(ModerationItem, on_delete=models.CASCADE, related_name="flags")
    source = models.CharField(max_length=10, choices=Source.choices)
    flagger = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "flagger"],
                condition=models.Q(flagger__isnull=False),
                name="flag_once_per_reader",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} flag ({self.reason})"
