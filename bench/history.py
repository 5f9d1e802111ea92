"""A long-lived Conduit's history, for the dashboard's benchmark (`seed_bench --events N`).

N audit records spread over the 30 days before the seeding (so the dashboard's last 24 hours
hold a thirtieth of them), in the proportions of a read-heavy site, and what the analytics
flushers and receivers would have written beside them: events per type and handler runs per
hour, a view count per article, searches per day, milestones, popular tags, slow queries, a
day of traffic, and one finished delivery per four records (the delivery table grows with
history too). Written with the seeder's bulk inserts (COPY on PostgreSQL); deterministic for a
given --seed, except that the times are relative to now.
"""

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.test import override_settings

from events.models import Delivery, EventRecord
from events.outbox import DELIVER_TASK_PATH
from events.system.analytics import flush
from events.system.analytics.models import (
    ArticleViews,
    HourlyCount,
    Milestone,
    PopularTag,
    SearchCount,
    SlowQuery,
    TrafficMinute,
)
from events.system.analytics.slowqueries import fingerprint
from tags.models import Tag

DAYS = 30
COMMENT_HANDLERS = ("events.system.analytics.receivers.check_comments_written",)
POPULAR_TAG_HANDLER = "events.system.analytics.receivers.check_popular_tag"
# type: (weight, aggregate type, the handlers that run for it)
TYPES = {
    "users.UserLoggedIn": (30, "user", ()),
    "articles.ArticleFavorited": (20, "article", ("articles.receivers.forget_favorite_reads",)),
    "comments.ArticleCommentAdded": (15, "comment", COMMENT_HANDLERS),
    "tags.TagUsed": (12, "tag", (POPULAR_TAG_HANDLER,)),
    "articles.ArticleCreated": (6, "article", ("articles.search.update_search_index",)),
    "users.UserFollowed": (6, "user", ("events.system.analytics.receivers.check_followers",)),
    "articles.ArticleUpdated": (4, "article", ("articles.search.update_search_index",)),
    "articles.ArticleUnfavorited": (3, "article", ("articles.receivers.forget_favorite_reads",)),
    "users.UserRegistered": (2, "user", ()),
    "events.UserEngagementMilestone": (1, "user", ()),
    "events.SlowQueryDetected": (1, "query", ()),
}
SHAPES = [
    'SELECT "articles_article"."id" FROM "articles_article" WHERE "articles_article"."slug" = ?',
    'UPDATE "articles_tag" SET "articles_count" = ("articles_tag"."articles_count" + ?)',
    'SELECT COUNT(*) AS "__count" FROM "comments_comment" WHERE "author_id" = ?',
]


@contextmanager
def quiet_analytics() -> Iterator[None]:
    """Seeding is not traffic: this process's analytics stop while it seeds (no flusher
    writing beside the seed's own rows in another transaction, no slow-query report of a bulk
    insert)."""
    with override_settings(ANALYTICS_FLUSH_SECONDS=0, ANALYTICS_SLOW_QUERY_MS=0):
        flush.reset()
        flush.stop_flusher()
        yield


class History:
    def __init__(self, seeder, user_ids: range, article_ids: range) -> None:
        self.seeder, self.rng = seeder, seeder.rng
        self.user_ids, self.article_ids = user_ids, article_ids
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.published: Counter[tuple[datetime, str]] = Counter()
        self.runs: Counter[tuple[datetime, str]] = Counter()

    def seed(self, events: int) -> None:
        step = self.seeder.step
        step("audit trail", EventRecord, ["event_id", "type", "version", "payload", "occurred_at",
                                          "actor_id", "aggregate_type", "aggregate_id",
                                          "request_id", "causation_id"],
             self._records(events))  # fmt: skip
        step("deliveries", Delivery, ["id", "status", "enqueued_at", "started_at", "finished_at",
                                      "args_kwargs", "priority", "task_path", "worker_ids",
                                      "queue_name", "backend_name", "run_after", "return_value",
                                      "exception_class_path", "traceback"],
             self._deliveries(events // 4))  # fmt: skip
        step("hourly", HourlyCount, ["kind", "hour", "name", "count"], self._hourly())
        step("views", ArticleViews, ["article_id", "views", "updated_at"], self._views())
        step("searches", SearchCount, ["day", "kind", "value", "searches", "results", "empty"],
             self._searches())  # fmt: skip
        step("milestones", Milestone, ["user_id", "kind", "milestone", "count", "reached_at"],
             self._milestones())  # fmt: skip
        # Read before the insert: nothing else may use the connection while a COPY runs.
        counts = list(Tag.objects.values_list("name", "articles_count"))
        step("popular tags", PopularTag, ["name", "threshold", "articles_count", "reached_at"],
             self._popular_tags(counts))  # fmt: skip
        step("slow queries", SlowQuery, ["fingerprint", "minute", "shape", "path", "duration_ms",
                                         "occurrences"], self._slow_queries())  # fmt: skip
        step("traffic", TrafficMinute, ["minute", "requests", "alerted"], self._traffic())

    def _when(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _records(self, count: int):
        rng, names = self.rng, list(TYPES)
        weights = [TYPES[name][0] for name in names]
        started = time.perf_counter()
        for chosen in rng.choices(names, weights=weights, k=count):
            at = self._when(DAYS * rng.random())
            hour = at.replace(minute=0, second=0, microsecond=0)
            self.published[(hour, chosen)] += 1
            for handler in TYPES[chosen][2]:
                self.runs[(hour, handler)] += 1
            actor = rng.choice(self.user_ids)
            subject = rng.choice(self.article_ids)
            yield (self._uuid(), chosen, 1, {"id": subject, "user_id": actor}, at, actor,
                   TYPES[chosen][1], str(subject), uuid.UUID(int=rng.getrandbits(128)).hex,
                   None)  # fmt: skip
        self.seeder.log(f"  {'':<12} generated in {time.perf_counter() - started:6.1f} s")

    def _deliveries(self, count: int):
        rng = self.rng
        for i in range(count):
            at = self._when(DAYS * rng.random())
            status = "SUCCESSFUL" if i % 1000 else rng.choice(["READY", "FAILED"])
            done = at + timedelta(milliseconds=5) if status != "READY" else None
            args = {"args": [str(self._uuid()), POPULAR_TAG_HANDLER]}
            yield (self._uuid(), status, at, done, done, args | {"kwargs": {}}, 0,
                   DELIVER_TASK_PATH, ["bench"], "default", "default", at,
                   "handled" if done else None, "", "")  # fmt: skip

    def _hourly(self):
        for (hour, name), count in self.published.items():
            yield HourlyCount.PUBLISHED, hour, name, count
        for (hour, name), count in self.runs.items():
            yield HourlyCount.HANDLER_RUNS, hour, name, count
            if count > 200:  # a rare failure
                yield HourlyCount.HANDLER_FAILURES, hour, name, count // 200

    def _views(self):
        rng = self.rng
        for article_id in self.article_ids:
            views = int(5000 * rng.random() ** 6)
            if views:
                yield article_id, views, self.now

    def _searches(self):
        rng = self.rng
        tags = list(self.seeder.tag_names.values())
        authors = [f"bench{user_id - 1}" for user_id in self.user_ids[:200]]
        for day in range(DAYS):
            when = (self.now - timedelta(days=day)).date()
            for kind, values in (("tag", tags), ("author", authors)):
                for value in values:
                    searches = int(200 * rng.random() ** 3)
                    if searches:
                        results = searches * rng.randint(0, 40)
                        yield when, kind, value, searches, results, searches if not results else 0

    def _milestones(self):
        rng = self.rng
        for user_id in self.user_ids:
            for kind in ("articles_written", "followers", "favorites_received"):
                for milestone in (1, 10, 100):
                    if rng.random() < 0.5:
                        break
                    yield user_id, kind, milestone, milestone, self._when(DAYS * rng.random())

    def _popular_tags(self, counts: list[tuple[str, int]]):
        for name, count in counts:
            threshold = 10
            while threshold <= count:
                yield name, threshold, threshold, self._when(DAYS * self.rng.random())
                threshold *= 10

    def _slow_queries(self):
        rng, last = self.rng, self.now.replace(second=0)
        for i in range(500):
            shape = SHAPES[i % len(SHAPES)]
            yield (fingerprint(shape), last - timedelta(minutes=7 * i), shape, "/api/articles",
                   200 + 800 * rng.random(), rng.randint(1, 5))  # fmt: skip

    def _traffic(self):
        rng = self.rng
        last = self.now.replace(second=0)
        for i in range(24 * 60):
            requests = int(3000 + 2000 * rng.random())
            yield last - timedelta(minutes=i), requests, False
