from django.conf import settings
from django.db import models
from django.utils import timezone

from tags.models import Tag


class Article(models.Model):
    slug = models.SlugField(max_length=255, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField()
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="articles"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Kept by articles.services in the same transaction as the Favorite rows.
    favorites_count = models.PositiveIntegerField(default=0)
    tags = models.ManyToManyField(Tag, through="ArticleTag", related_name="articles")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="article_newest"),
            models.Index(fields=["author", "-created_at", "-id"], name="article_author_newest"),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleTag(models.Model):
    """An article's tag, with the position the author gave it in `tagList`."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="article_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="article_tags")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "tag"], name="articletag_once"),
        ]
        indexes = [models.Index(fields=["tag", "article"], name="articletag_tag")]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.article_id}"


class Favorite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="favorite_once"),
        ]
        indexes = [models.Index(fields=["article", "user"], name="favorite_article")]

    def __str__(self) -> str:
        return f"{self.user_id} favors {self.article_id}"
