from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from tags.models import Tag


class Article(models.Model):
    # The text a reader reads, in order: moderation scores it for spam, and scores it again
    # when an edit changes one of these (events/system/moderation/). A new text field goes
    # here too; the full-text index's documents are built in articles/search.py.
    TEXT_FIELDS = ("title", "description", "body")

    slug = models.SlugField(max_length=255, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField()
    body = models.TextField()
    # No index of its own: article_author_newest starts with it, and every new article
    # would write both.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="articles", db_index=False
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
    # Hidden by moderation (pending review, or removed): no API read shows it to anyone but
    # staff, and no counter counts it. Changed only by articles.services.article_set_hidden.
    # A database default, like every column added since: bench's seed_bench COPYs articles
    # with a list of columns that leaves the newer ones out.
    hidden = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="article_newest"),
            # The public lists' order, of the visible articles only: a deep page counts its
            # way there in this index alone (an index-only scan), reading no row it skips.
            models.Index(
                fields=["-created_at", "-id"],
                name="article_visible_newest",
                condition=models.Q(hidden=False),
            ),
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
    """Per user: articles written and articles favorited (visible ones: hidden articles are
    not counted), so that `articlesCount` of the author, favorited-by and feed lists is read,
    not counted. Kept by articles.services."""

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
    """The number of (visible) articles, spread over a few rows so that concurrent creates do not
    queue on one row lock; the total is their sum (a row may be negative: an article counted
    into one shard can be deleted from another). Kept by articles.services."""

    SHARDS = 8

    shard = models.PositiveSmallIntegerField(primary_key=True)
    articles_count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"shard {self.shard}: {self.articles_count}"


class ArticleSearch(models.Model):
    """An article's entry in the full-text index, on PostgreSQL (on SQLite the index is the
    FTS5 table `articles_search_fts`, made by the same migration; this model's table exists
    on PostgreSQL only). Kept by articles.search from the article's row, in the worker.

    Three vectors, each with its own GIN index, so that a match is ranked by where it is
    (title, then title/description/tags, then anywhere) with the planner's own statistics
    for each; the article's creation time is copied here so that "newest matches first" is
    one index scan of this table.
    """

    article = models.OneToOneField(
        Article,
        primary_key=True,
        on_delete=models.DO_NOTHING,  # the ArticleDeleted handler removes the entry
        db_constraint=False,
        related_name="search_entry",
    )
    article_created_at = models.DateTimeField()
    title = SearchVectorField()
    head = SearchVectorField()  # title, description and tags
    document = SearchVectorField()  # title, description, tags and body

    class Meta:
        # fastupdate off: the worker writes the entries, so a write may as well update the
        # index at once, and a search never scans a pending list.
        indexes = [
            GinIndex(fields=["title"], name="articlesearch_title", fastupdate=False),
            GinIndex(fields=["head"], name="articlesearch_head", fastupdate=False),
            GinIndex(fields=["document"], name="articlesearch_document", fastupdate=False),
            models.Index(fields=["-article_created_at", "-article"], name="articlesearch_newest"),
        ]

    def __str__(self) -> str:
        return f"search entry of {self.article_id}"


class ArticleSearchTerm(models.Model):
    """How many entries of the full-text index (ArticleSearch) hold a word (a lexeme of the
    "english" configuration), on PostgreSQL: the exact `articlesCount` of a one-word search
    is read here, not counted (at a million articles a common word matches most of them).
    Kept by articles.search with the entries, in the same transaction."""

    term = models.TextField(primary_key=True)
    articles_count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.term}: {self.articles_count}"


class ArticleMilestone(models.Model):
    """The site's article count reached `articles_count` (a multiple of
    ARTICLES_MILESTONE_EVERY) and staff were told (articles.milestones); the primary key
    makes it once per milestone."""

    articles_count = models.PositiveBigIntegerField(primary_key=True)
    article_id = models.BigIntegerField(help_text="The article whose creation reached it.")
    reached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-articles_count"]

    def __str__(self) -> str:
        return f"{self.articles_count} articles"
