"""What analytics keeps: counts written in batches by each process's flusher (views, searches,
traffic, slow queries, events and handler runs per hour) and the facts that happen once
(milestones, popular tags), each guarded by a unique constraint. The dashboard reads only
these tables, through their indexes, never the audit trail."""

from django.db import models


class ArticleViews(models.Model):
    """How many times GET /articles/{slug} answered 200 for the article (flushed counts)."""

    article = models.OneToOneField(
        "articles.Article",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    views = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "article views"
        indexes = [models.Index(fields=["-views"], name="articleviews_most")]

    def __str__(self) -> str:
        return f"{self.views} views of {self.article_id}"


class SearchCount(models.Model):
    """Searches of one day by filter kind and value: how many, the results they found in all,
    and how many found nothing."""

    day = models.DateField()
    kind = models.CharField(max_length=20)
    value = models.CharField(max_length=200)
    searches = models.PositiveBigIntegerField(default=0)
    results = models.PositiveBigIntegerField(default=0)
    empty = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "day", "value"], name="searchcount_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}={self.value}: {self.searches}"


class TrafficMinute(models.Model):
    """Requests served in one clock minute by every process; `alerted` once
    HighTrafficDetected was published for it. Rows older than a day are pruned."""

    minute = models.DateTimeField(primary_key=True)
    requests = models.PositiveBigIntegerField(default=0)
    alerted = models.BooleanField(default=False, db_default=False)

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M}: {self.requests}"


class SlowQuery(models.Model):
    """The statements of one shape slower than the threshold in one clock minute: the first
    one published SlowQueryDetected, the others are counted here."""

    fingerprint = models.CharField(max_length=32)
    minute = models.DateTimeField()
    shape = models.TextField()
    path = models.CharField(max_length=200, blank=True)
    duration_ms = models.FloatField(help_text="The slowest of the minute.")
    occurrences = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "slow queries"
        constraints = [
            models.UniqueConstraint(fields=["fingerprint", "minute"], name="slowquery_once")
        ]
        indexes = [models.Index(fields=["-minute"], name="slowquery_newest")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.duration_ms:.0f} ms {self.shape[:60]}"


class Milestone(models.Model):
    """A user reached `milestone` of `kind` (UserEngagementMilestone was published): the
    unique constraint makes it once, even if the count falls and rises again."""

    user = models.ForeignKey(
        "users.User", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=30)
    milestone = models.PositiveBigIntegerField()
    count = models.PositiveBigIntegerField()
    reached_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "milestone"], name="milestone_once")
        ]
        indexes = [models.Index(fields=["-reached_at"], name="milestone_newest")]

    def __str__(self) -> str:
        return f"{self.user_id} reached {self.milestone} {self.kind}"


class PopularTag(models.Model):
    """A tag name reached `threshold` articles (PopularTagDetected was published); by name, so
    a tag deleted and used again does not announce it twice."""

    name = models.CharField(max_length=100)
    threshold = models.PositiveBigIntegerField()
    articles_count = models.PositiveBigIntegerField()
    reached_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "threshold"], name="populartag_once")
        ]
        indexes = [models.Index(fields=["-reached_at"], name="populartag_newest")]

    def __str__(self) -> str:
        return f"{self.name} reached {self.threshold} articles"


class HourlyCount(models.Model):
    """Per clock hour: events published by type (`kind` "published"), handler runs and
    failures by handler ("handler_runs", "handler_failures"), as each process's metrics
    counted them."""

    PUBLISHED = "published"
    HANDLER_RUNS = "handler_runs"
    HANDLER_FAILURES = "handler_failures"

    kind = models.CharField(max_length=20)
    hour = models.DateTimeField()
    name = models.CharField(max_length=200)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "hour", "name"], name="hourlycount_once")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.kind} {self.name}: {self.count}"


class Dashboard(HourlyCount):
    """The operators' page (analytics/admin.py), listed in the admin's index under its name."""

    class Meta:
        proxy = True
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"
