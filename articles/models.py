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
    # The tag names, sorted as `tagList` is served, kept by articles.services with the
    # ArticleTag rows (which serve the tag filter): a page of articles reads its tags without a
    # second query.
    tag_list = models.JSONField(default=list, blank=True)
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
    """An article's tag, with its position in the article's (sorted) `tagList`."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="article_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="article_tags")
    position = models.PositiveSmallIntegerField(default=0)
    # A copy of the article's (immutable) created_at, so that "newest articles with tag X"
    # is one index range scan that stops after a page, however many articles carry X.
    article_created_at = models.DateTimeField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "tag"], name="articletag_once"),
        ]
        indexes = [
            models.Index(
                fields=["tag", "-article_created_at", "-article"], name="articletag_tag_newest"
            )
        ]

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


class AuthorStats(models.Model):
    """Per user: articles written and articles favorited, so that `articlesCount` of the
    author, favorited-by and feed lists is read, not counted. Kept by articles.services."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="article_stats",
    )
    articles_count = models.PositiveIntegerField(default=0)
    favorites_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "author stats"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.articles_count} articles, {self.favorites_count} favorites"


class ArticleTotal(models.Model):
    """The number of articles, spread over a few rows so that concurrent creates do not
    queue on one row lock; the total is their sum (a row may be negative: an article counted
    into one shard can be deleted from another). Kept by articles.services."""

    SHARDS = 8

    shard = models.PositiveSmallIntegerField(primary_key=True)
    articles_count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"shard {self.shard}: {self.articles_count}"
