"""Analytics' writes, and the only place that publishes its events.

- `article_view_record`, `search_record`: a view or a search happened (events that stay out of
  the audit trail; their inline receivers tally them, analytics/receivers.py).
- `views_add`, `searches_add`, `traffic_add`, `slow_queries_add`, `hourly_add`: a flush
  adds what a process tallied (analytics/flush.py calls them in one transaction); the traffic
  and the slow queries publish HighTrafficDetected and SlowQueryDetected.
- `milestone_check`, `popular_tag_check`: a count may have crossed milestones (every one
  since the last announced); a unique constraint makes each announced once, whatever runs
  at the same time or again.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from articles.selectors import articles_existing
from events import bus
from events.core.context import event_context
from events.core.unit_of_work import unit_of_work
from events.system.analytics.events import (
    ArticleViewIncremented,
    HighTrafficDetected,
    PopularTagDetected,
    SearchPerformed,
    SlowQueryDetected,
    UserEngagementMilestone,
)
from events.system.analytics.models import (
    ArticleViews,
    HourlyCount,
    Milestone,
    PopularTag,
    SearchCount,
    SlowQuery,
    TrafficMinute,
)
from events.system.analytics.selectors import milestones_announced, popular_tags_announced
from events.system.analytics.tally import SlowSample

MAX_SEARCH_VALUE_LENGTH = 200
MILESTONE_KINDS = ("articles_written", "favorites_received", "followers", "comments_written")
TRAFFIC_KEPT_SECONDS = 24 * 3600


def article_view_record(*, article_id: int, slug: str) -> None:
    bus.publish(ArticleViewIncremented(article_id=article_id, slug=slug))


def search_record(*, kind: str, value: str, results: int) -> None:
    bus.publish(SearchPerformed(kind=kind, value=value[:MAX_SEARCH_VALUE_LENGTH], results=results))


# Flushes -------------------------------------------------------------------------------------


def _upsert(
    model: type,
    *,
    unique: list[str],
    add: list[str],
    replace: tuple[str, ...] = (),
    rows: list[dict[str, object]],
) -> None:
    """INSERT each row, or, when its `unique` columns match a row already there, add its `add`
    columns to that row's and overwrite its `replace` columns: one statement run for every
    row (the ORM's update_conflicts can only overwrite)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [*unique, *add, *replace]
    sets = [f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in add]
    sets += [f"{quote(c)} = excluded.{quote(c)}" for c in replace]
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in unique)}) DO UPDATE SET {', '.join(sets)}"
    )
    by_column = {field.column: field for field in model._meta.concrete_fields}
    fields = [by_column[c] for c in columns]
    params = [
        [
            field.get_db_prep_save(row[c], connection)
            for field, c in zip(fields, columns, strict=True)
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def views_add(views: Mapping[int, int], *, now: datetime) -> int:
    """Add views to the articles' counts; views of an article deleted since are dropped.
    Returns the number of views added."""
    existing = articles_existing(article_ids=views)
    rows = [
        {"article_id": article_id, "views": n, "updated_at": now}
        for article_id, n in sorted(views.items())
        if article_id in existing
    ]
    _upsert(ArticleViews, unique=["article_id"], add=["views"], replace=("updated_at",), rows=rows)
    return sum(row["views"] for row in rows)


def searches_add(searches: Mapping[tuple[date, str, str], tuple[int, int, int]]) -> int:
    """Add (searches, results, empty) to each (day, kind, value); returns the searches."""
    rows = [
        {"day": day, "kind": kind, "value": value, "searches": n, "results": found, "empty": none}
        for (day, kind, value), (n, found, none) in sorted(searches.items())
    ]
    _upsert(
        SearchCount,
        unique=["kind", "day", "value"],
        add=["searches", "results", "empty"],
        rows=rows,
    )
    return sum(row["searches"] for row in rows)


def traffic_add(requests: Mapping[int, int], *, now: datetime) -> list[HighTrafficDetected]:
    """Add requests per clock minute (minutes since the epoch) to every process's count, and
    publish HighTrafficDetected for a minute that reached ANALYTICS_HIGH_TRAFFIC_PER_MINUTE,
    once: the conditional UPDATE of `alerted` lets one flush win."""
    minutes = [_minute(number) for number in sorted(requests)]
    rows = [
        {"minute": _minute(number), "requests": n, "alerted": False}
        for number, n in sorted(requests.items())
    ]
    _upsert(TrafficMinute, unique=["minute"], add=["requests"], rows=rows)
    published = []
    threshold = settings.ANALYTICS_HIGH_TRAFFIC_PER_MINUTE
    for minute in minutes:
        reached = TrafficMinute.objects.filter(
            minute=minute, alerted=False, requests__gte=threshold
        )
        if threshold and reached.update(alerted=True):
            count = TrafficMinute.objects.get(minute=minute).requests
            event = HighTrafficDetected(window_start=minute, requests=count, threshold=threshold)
            bus.publish(event)
            published.append(event)
    TrafficMinute.objects.filter(minute__lt=now - timedelta(seconds=TRAFFIC_KEPT_SECONDS)).delete()
    return published


def slow_queries_add(samples: Iterable[SlowSample]) -> list[SlowQueryDetected]:
    """Count slow statements per (shape, minute); the first of a shape in a minute, over every
    process, publishes SlowQueryDetected in the context of the request that ran it."""
    groups: dict[tuple[str, int], list[SlowSample]] = {}
    for sample in samples:
        groups.setdefault((sample.fingerprint, int(sample.at // 60)), []).append(sample)
    published = []
    for (fingerprint, number), group in groups.items():
        first, slowest = group[0], max(sample.duration_ms for sample in group)
        minute = _minute(number)
        try:
            with transaction.atomic():
                SlowQuery.objects.create(
                    fingerprint=fingerprint,
                    minute=minute,
                    shape=first.shape,
                    path=first.path[:200],
                    duration_ms=slowest,
                    occurrences=len(group),
                )
        except IntegrityError:  # announced already this minute (maybe by another process)
            SlowQuery.objects.filter(fingerprint=fingerprint, minute=minute).update(
                occurrences=F("occurrences") + len(group),
                duration_ms=Greatest("duration_ms", slowest),
            )
            continue
        event = SlowQueryDetected(
            fingerprint=fingerprint,
            shape=first.shape,
            duration_ms=first.duration_ms,
            path=first.path,
        )
        with event_context(request_id=first.request_id):
            bus.publish(event)
        published.append(event)
    return published


def hourly_add(counts: Mapping[tuple[str, str], int], *, hour: datetime) -> dict:
    """Add counts of (kind, name) to the hour; returns them."""
    rows = [
        {"kind": kind, "hour": hour, "name": name, "count": n}
        for (kind, name), n in sorted(counts.items())
    ]
    _upsert(HourlyCount, unique=["kind", "hour", "name"], add=["count"], rows=rows)
    return dict(counts)


def _minute(number: int) -> datetime:
    return datetime.fromtimestamp(number * 60, UTC)


# Milestones ----------------------------------------------------------------------------------


def milestone_of(count: int, *, lowest: int = 1) -> int | None:
    """The highest power of ten at or under `count` (1, 10, 100...), if it is `lowest` or more."""
    if count < lowest:
        return None
    return 10 ** (len(str(count)) - 1)


def milestones_crossed(count: int, *, above: int, lowest: int = 1) -> list[int]:
    """The powers of ten from `lowest` up to `count` that are higher than `above` (the last one
    announced, 0 when none): a count read late, after a burst, crossed them all."""
    highest = milestone_of(count, lowest=lowest)
    if highest is None:
        return []
    crossed, milestone = [], lowest
    while milestone <= highest:
        if milestone > above:
            crossed.append(milestone)
        milestone *= 10
    return crossed


@unit_of_work
def milestone_check(*, user_id: int, kind: str, count: int) -> list[int]:
    """The user's `kind` count is `count` now: announce every milestone it crossed since the
    last one announced (1 and 10 after a burst of ten), each once, whatever checks run at the
    same time or again. Returns the milestones announced now."""
    if kind not in MILESTONE_KINDS:
        raise ValueError(f"Unknown milestone kind {kind!r}.")
    last = milestones_announced(kind=kind, user_ids=[user_id])[user_id]
    reached = []
    for milestone in milestones_crossed(count, above=last):
        if _first(Milestone, user_id=user_id, kind=kind, milestone=milestone, count=count):
            event = UserEngagementMilestone(
                user_id=user_id, kind=kind, milestone=milestone, count=count
            )
            bus.publish(event)
            reached.append(milestone)
    return reached


@unit_of_work
def popular_tag_check(*, name: str, articles_count: int) -> list[int]:
    """The tag is on `articles_count` articles now: announce every threshold (10, 100...) it
    crossed since the last one announced, each once. Returns the thresholds announced now."""
    last = popular_tags_announced(names=[name])[name]
    reached = []
    for threshold in milestones_crossed(articles_count, above=last, lowest=10):
        if _first(PopularTag, name=name, threshold=threshold, articles_count=articles_count):
            bus.publish(
                PopularTagDetected(name=name, threshold=threshold, articles_count=articles_count)
            )
            reached.append(threshold)
    return reached


def _first(model: type, **fields: object) -> bool:
    """Insert the row; False when its unique constraint says it exists (a concurrent insert
    waits for the other transaction, then fails here)."""
    try:
        with transaction.atomic():
            model.objects.create(reached_at=datetime.now(UTC), **fields)
    except IntegrityError:
        return False
    return True
