from django.conf import settings
from django.db import models
from django.utils import timezone

from articles.models import Article


class Comment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Hidden by moderation: no API read shows it to anyone but staff. Changed only by
    # comments.services.comment_set_hidden.
    hidden = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["article", "-created_at", "-id"], name="comment_article_newest"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.article_id}"
