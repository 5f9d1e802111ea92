"""Liveness and readiness (`GET /health`, `GET /ready`: events/api/views.py) for load
balancers and orchestrators.

Liveness says the process answers and touches nothing else, so a database outage never gets
every web process restarted. Readiness says whether this process can do its work now: the
database answers and has every migration this code needs, the shared cache answers (when
`CACHE_URL` names a server), a worker was seen within READY_WORKER_SILENCE_SECONDS, and the
oldest due delivery has waited less than READY_BACKLOG_MAX_AGE_SECONDS. Details name what
failed, never a host, a password or a secret (docs/operating.md has what to do about each).
"""

from collections.abc import Callable
from datetime import timedelta
from time import perf_counter
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from events.models import WorkerHeartbeat
from events.outbox import backlog_age_seconds

Check = dict[str, Any]


def _failed(exc: BaseException) -> Check:
    # The exception's class only: its message can name the host and the user.
    return {"ok": False, "detail": f"unreachable ({type(exc).__name__})"}


def check_database() -> Check:
    start = perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return _failed(exc)
    return {"ok": True, "ms": round((perf_counter() - start) * 1000, 1)}


def check_migrations() -> Check:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return _failed(exc)
    if plan:
        names = sorted({f"{migration.app_label}.{migration.name}" for migration, _ in plan})
        return {
            "ok": False,
            "detail": f"{len(names)} unapplied (run the release step: manage.py migrate)",
            "unapplied": names,
        }
    return {"ok": True}


def check_cache() -> Check:
    """Only a cache server is checked; a file cache is this host's disk."""
    if not isinstance(caches["default"], RedisCache):
        return {"ok": True, "detail": "local (no cache server configured)"}
    try:
        caches["default"].set("conduit:ready", 1, timeout=10)
        if caches["default"].get("conduit:ready") != 1:
            return {"ok": False, "detail": "a value written could not be read back"}
    except Exception as exc:  # the redis client's errors are not Django's
        return _failed(exc)
    return {"ok": True}


def check_worker() -> Check:
    silence = settings.READY_WORKER_SILENCE_SECONDS
    try:
        newest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
        seen_at = newest.first()
    except DatabaseError as exc:
        return _failed(exc)
    if seen_at is None:
        return {"ok": False, "detail": "no worker has been seen (start one: manage.py db_worker)"}
    age = (timezone.now() - seen_at).total_seconds()
    if age > silence:
        return {
            "ok": False,
            "detail": f"no worker seen for {age:.0f}s (limit {silence:g}s)",
            "seen_seconds_ago": round(age, 1),
        }
    alive = WorkerHeartbeat.objects.filter(
        seen_at__gte=timezone.now() - timedelta(seconds=silence)
    ).count()
    return {"ok": True, "seen_seconds_ago": round(age, 1), "workers": alive}


def check_backlog() -> Check:
    limit = settings.READY_BACKLOG_MAX_AGE_SECONDS
    try:
        age = backlog_age_seconds()
    except DatabaseError as exc:
        return _failed(exc)
    report: Check = {"ok": age <= limit, "oldest_pending_seconds": age}
    if age > limit:
        report["detail"] = f"the oldest due delivery has waited {age:.0f}s (limit {limit:g}s)"
    return report


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "migrations": check_migrations,
    "cache": check_cache,
    "worker": check_worker,
    "backlog": check_backlog,
}


def readiness() -> tuple[bool, dict[str, Check]]:
    database = check_database()
    if not database["ok"]:
        # Everything else reads the database: one failure, named once, and no long waits.
        skipped = {"ok": False, "detail": "not checked: the database is unreachable"}
        checks = {name: dict(skipped) for name in CHECKS}
        checks["database"] = database
        checks["cache"] = check_cache()
        return False, checks
    checks = {name: database if name == "database" else run() for name, run in CHECKS.items()}
    return all(check["ok"] for check in checks.values()), checks
