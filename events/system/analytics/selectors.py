"""The dashboard's reads: a dozen queries, each on an index of a small table that analytics
keeps (analytics/models.py), so the page costs the same with a million audit records as with
none (it never reads the audit trail)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Max, Sum

from events.outbox import backlog_age_seconds, delivery_backlog
from events.system.analytics.models import (
    ArticleViews,
    HourlyCount,
    Milestone,
    PopularTag,
    SearchCount,
    SlowQuery,
    TrafficMinute,
)

HOURS = 24
SEARCH_DAYS = 7
TRAFFIC_MINUTES = 60
TOP = 10
CHART_SERIES = 7  # the busiest event types get a colour each; the rest are "other"


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True, slots=True)
class Timeline:
    """Counts per time slot (oldest first), as one or more named series."""

    slots: list[datetime]
    series: list[Series]

    @property
    def total(self) -> int:
        return sum(series.total for series in self.series)


@dataclass(frozen=True, slots=True)
class HandlerTotals:
    handler: str
    runs: int
    failures: int


@dataclass(frozen=True, slots=True)
class Searched:
    value: str
    searches: int
    results: int
    empty: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    now: datetime
    published: Timeline
    published_by_type: list[Series]
    handler_runs: Timeline
    handlers: list[HandlerTotals]
    backlog: dict[str, int]
    most_viewed: list[ArticleViews]
    searched: dict[str, list[Searched]]
    milestones: list[Milestone]
    popular_tags: list[PopularTag]
    slow_queries: list[SlowQuery]
    traffic: Timeline
    traffic_alerts: list[TrafficMinute]


def dashboard(*, now: datetime | None = None) -> Dashboard:
    now = now or datetime.now(UTC)
    hours = _slots(now.replace(minute=0, second=0, microsecond=0), HOURS, timedelta(hours=1))
    by_type = _hourly(HourlyCount.PUBLISHED, hours)
    runs = _hourly(HourlyCount.HANDLER_RUNS, hours)
    failures = _hourly(HourlyCount.HANDLER_FAILURES, hours)
    return Dashboard(
        now=now,
        published=Timeline(hours, _top_series(by_type)),
        published_by_type=sorted(by_type, key=lambda s: (-s.total, s.name)),
        handler_runs=Timeline(
            hours,
            [_sum_series("runs", runs, len(hours)), _sum_series("failures", failures, len(hours))],
        ),
        handlers=_handler_totals(runs, failures),
        backlog=delivery_backlog() | {"age_seconds": backlog_age_seconds()},
        most_viewed=list(
            ArticleViews.objects.select_related("article").order_by("-views", "article_id")[:TOP]
        ),
        searched={
            kind: _most_searched(kind, now.date() - timedelta(days=SEARCH_DAYS - 1))
            for kind in ("tag", "author")
        },
        milestones=list(Milestone.objects.select_related("user").order_by("-reached_at")[:TOP]),
        popular_tags=list(PopularTag.objects.order_by("-reached_at")[:TOP]),
        slow_queries=list(SlowQuery.objects.order_by("-minute", "-duration_ms")[:TOP]),
        traffic=_traffic(now),
        traffic_alerts=list(TrafficMinute.objects.filter(alerted=True).order_by("-minute")[:5]),
    )


def _slots(last: datetime, count: int, step: timedelta) -> list[datetime]:
    return [last - step * (count - 1 - i) for i in range(count)]


def _hourly(kind: str, hours: list[datetime]) -> list[Series]:
    """One series per name of `kind`, a value per hour."""
    index = {hour: i for i, hour in enumerate(hours)}
    values: dict[str, list[int]] = defaultdict(lambda: [0] * len(hours))
    rows = HourlyCount.objects.filter(kind=kind, hour__gte=hours[0], hour__lte=hours[-1])
    for hour, name, count in rows.values_list("hour", "name", "count"):
        values[name][index[hour.astimezone(UTC)]] += count
    return [Series(name, counts) for name, counts in values.items()]


def _top_series(series: list[Series]) -> list[Series]:
    ranked = sorted(series, key=lambda s: (-s.total, s.name))
    top, rest = ranked[:CHART_SERIES], ranked[CHART_SERIES:]
    if rest:
        top.append(_sum_series("other", rest, len(rest[0].values)))
    return top


def _sum_series(name: str, series: list[Series], length: int) -> Series:
    return Series(name, [sum(s.values[i] for s in series) for i in range(length)])


def _handler_totals(runs: list[Series], failures: list[Series]) -> list[HandlerTotals]:
    failed = {series.name: series.total for series in failures}
    return sorted(
        (HandlerTotals(series.name, series.total, failed.get(series.name, 0)) for series in runs),
        key=lambda row: (-row.failures, -row.runs, row.handler),
    )


def _most_searched(kind: str, since: date) -> list[Searched]:
    rows = (
        SearchCount.objects.filter(kind=kind, day__gte=since)
        .values("value")
        .annotate(n=Sum("searches"), found=Sum("results"), none=Sum("empty"))
        .order_by("-n", "value")[:TOP]
    )
    return [Searched(row["value"], row["n"], row["found"], row["none"]) for row in rows]


def _traffic(now: datetime) -> Timeline:
    minutes = _slots(now.replace(second=0, microsecond=0), TRAFFIC_MINUTES, timedelta(minutes=1))
    counts = dict(
        TrafficMinute.objects.filter(minute__gte=minutes[0]).values_list("minute", "requests")
    )
    values = [counts.get(minute, 0) for minute in minutes]
    return Timeline(minutes, [Series("requests", values)])


# What the worker's milestone checks compare with ---------------------------------------------


def milestones_announced(*, kind: str, user_ids: Iterable[int]) -> dict[int, int]:
    """The highest `kind` milestone announced for each of these users, by user id (0: none)."""
    last = dict(
        Milestone.objects.filter(kind=kind, user_id__in=set(user_ids))
        .values("user_id")
        .annotate(last=Max("milestone"))
        .values_list("user_id", "last")
    )
    return {user_id: last.get(user_id, 0) for user_id in user_ids}


def popular_tags_announced(*, names: Iterable[str]) -> dict[str, int]:
    """The highest threshold announced for each of these tags, by name (0: none)."""
    last = dict(
        PopularTag.objects.filter(name__in=set(names))
        .values("name")
        .annotate(last=Max("threshold"))
        .values_list("name", "last")
    )
    return {name: last.get(name, 0) for name in names}
