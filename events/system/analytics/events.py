"""Analytics events: what readers look at and search for, how the system copes (slow queries,
traffic spikes), and who reached which milestone.

Published by the analytics app (events/system/analytics/): views and searches by its request
observer (middleware.py), slow queries and traffic spikes by each process's flusher
(flush.py), milestones and popular tags by its background receivers. None changes
what an API read shows, so none invalidates the read cache. A view or a search is no business
change: it stays out of the audit trail (`audited = False`) and is kept as a count instead.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from events.core.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalyticsEvent(Event):
    """What every analytics event shares: its category."""

    abstract: ClassVar[bool] = True
    category: ClassVar[str] = "analytics"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleViewIncremented(AnalyticsEvent):
    """GET /articles/{slug} answered 200: the article was read once more."""

    audited: ClassVar[bool] = False
    kept_as: ClassVar[str] = (
        "the article's view count (analytics.ArticleViews), tallied in each process and "
        "added to the database in batches every ANALYTICS_FLUSH_SECONDS"
    )
    aggregate_type: ClassVar[str] = "article"
    aggregate_id_field: ClassVar[str] = "article_id"

    article_id: int
    slug: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchPerformed(AnalyticsEvent):
    """GET /articles answered 200 narrowed by a filter: `kind` names it ("tag", "author",
    "favorited"; "q" for a full-text query), `value` is what was asked (at most 200
    characters) and `results` the articlesCount of the answer. A request with two filters is
    two searches."""

    audited: ClassVar[bool] = False
    kept_as: ClassVar[str] = (
        "per day, filter kind and value: searches, results and searches that found nothing "
        "(analytics.SearchCount), tallied in each process and added in batches"
    )
    aggregate_type: ClassVar[str] = "search"
    aggregate_id_field: ClassVar[str] = "kind"

    kind: str
    value: str
    results: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SlowQueryDetected(AnalyticsEvent):
    """An SQL statement ran longer than ANALYTICS_SLOW_QUERY_MS. `shape` is the statement with
    its parameters and literals replaced by `?` (truncated), `fingerprint` a hash of it,
    `path` the request path that ran it ("" outside a request). At most one per shape per
    minute, over every process; the others of that minute are counted, not published."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "evidence for performance work, read in the audit trail and `events_stats`; a slow "
        "statement asks for no action at once"
    )

    aggregate_type: ClassVar[str] = "query"
    aggregate_id_field: ClassVar[str] = "fingerprint"

    fingerprint: str
    shape: str
    duration_ms: float
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HighTrafficDetected(AnalyticsEvent):
    """The requests of one clock minute, counted over every process, reached
    ANALYTICS_HIGH_TRAFFIC_PER_MINUTE; `requests` is the count when it was noticed. One per
    minute."""

    aggregate_type: ClassVar[str] = "traffic"
    aggregate_id_field: ClassVar[str] = "window_start"

    window_start: datetime
    requests: int
    threshold: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserEngagementMilestone(AnalyticsEvent):
    """A user reached a milestone (1, 10, 100, 1000...) of `kind`: "articles_written",
    "favorites_received", "followers" or "comments_written"; `count` is the count when it was
    noticed. Once per (user, kind, milestone), even if the count falls and rises again."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "an analytics fact kept in the audit trail; nothing is sent for it"
    )

    aggregate_type: ClassVar[str] = "user"
    aggregate_id_field: ClassVar[str] = "user_id"

    user_id: int
    kind: str
    milestone: int
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PopularTagDetected(AnalyticsEvent):
    """A tag is on `threshold` (10, 100, 1000...) articles or more for the first time;
    `articles_count` is the count when it was noticed. Once per (tag name, threshold), even
    after the tag is deleted and used again."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "an analytics fact kept in the audit trail; nothing is sent for it"
    )

    aggregate_type: ClassVar[str] = "tag"
    aggregate_id_field: ClassVar[str] = "name"

    name: str
    threshold: int
    articles_count: int
