"""Liveness and readiness: GET /health and GET /ready (events/ops/health.py)."""

import socket
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from events.models import WorkerHeartbeat
from events.outbox import _delivery_row

pytestmark = pytest.mark.django_db

CHECK_NAMES = {"database", "migrations", "cache", "worker", "backlog"}


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def worker_alive() -> WorkerHeartbeat:
    now = timezone.now()
    return WorkerHeartbeat.objects.create(worker_id="w1", started_at=now, seen_at=now)


def ready(client: APIClient) -> tuple[int, dict]:
    response = client.get("/ready")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def failed(body: dict) -> set[str]:
    return {name for name, check in body["checks"].items() if not check["ok"]}


def test_health_answers_without_touching_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0


def test_ready_with_a_live_worker_and_nothing_waiting(client, worker_alive):
    status, body = ready(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECK_NAMES
    assert failed(body) == set()
    assert body["checks"]["worker"]["workers"] == 1


def test_ready_fails_on_the_worker_when_none_was_ever_seen(client):
    status, body = ready(client)
    assert status == 503
    assert body["status"] == "fail"
    assert failed(body) == {"worker"}
    assert "no worker" in body["checks"]["worker"]["detail"]


def test_ready_fails_on_the_worker_when_its_heartbeat_is_too_old(client, settings):
    settings.READY_WORKER_SILENCE_SECONDS = 120
    long_ago = timezone.now() - timedelta(seconds=121)
    WorkerHeartbeat.objects.create(worker_id="w1", started_at=long_ago, seen_at=long_ago)
    status, body = ready(client)
    assert status == 503
    assert failed(body) == {"worker"}
    assert body["checks"]["worker"]["seen_seconds_ago"] >= 121


def test_ready_fails_on_migrations_when_one_is_unapplied(client, worker_alive):
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied("events", "0007_workerheartbeat")
    status, body = ready(client)
    assert status == 503
    assert failed(body) == {"migrations"}
    assert body["checks"]["migrations"]["unapplied"] == ["events.0007_workerheartbeat"]


def test_ready_fails_on_the_backlog_when_the_oldest_due_delivery_is_too_old(
    client, worker_alive, settings
):
    settings.READY_BACKLOG_MAX_AGE_SECONDS = 300
    row = _delivery_row("00000000-0000-0000-0000-000000000001", "some.handler")
    row.save()
    type(row).objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - timedelta(minutes=6))
    status, body = ready(client)
    assert status == 503
    assert failed(body) == {"backlog"}
    assert body["checks"]["backlog"]["oldest_pending_seconds"] >= 360


def test_a_retry_not_yet_due_is_not_backlog(client, worker_alive):
    row = _delivery_row(
        "00000000-0000-0000-0000-000000000002",
        "some.handler",
        run_after=timezone.now() + timedelta(hours=1),
    )
    row.save()
    type(row).objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - timedelta(hours=2))
    status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["backlog"]["oldest_pending_seconds"] == 0


def test_ready_fails_on_the_cache_when_redis_is_down_and_names_no_host(
    client, worker_alive, settings
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert failed(body) == {"cache"}
    assert "127.0.0.1" not in response.content.decode()
    assert str(port) not in response.content.decode()


def test_ready_names_the_database_when_it_is_down_and_checks_nothing_that_needs_it(
    client, monkeypatch
):
    from django.db import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" failed: password x')

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable (OperationalError)"}
    assert "not checked" in body["checks"]["worker"]["detail"]
    assert "db.internal" not in response.content.decode()
    assert "password" not in response.content.decode()


def test_neither_needs_a_token_nor_accepts_a_write(client, worker_alive):
    assert client.post("/health").status_code == 405
    assert client.post("/ready").status_code == 405
