"""A broken shared cache is loud: a log line a minute, a metric, a check that fails at start;
and the site stays up meanwhile (reads from the database, rate limits let requests through)."""

import logging
import os
import runpy
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from prometheus_client import REGISTRY

from conduit import sharedcache
from conduit.sharedcache import check_shared_cache, report_failure

REDIS = "django.core.cache.backends.redis.RedisCache"
NOBODY_LISTENS = "redis://127.0.0.1:1/0"
SILENT_PORT = 8109


def errors_counted(operation: str) -> float:
    value = REGISTRY.get_sample_value("conduit_shared_cache_errors_total", {"operation": operation})
    return value or 0.0


@pytest.fixture
def clock(monkeypatch) -> Iterator[list[float]]:
    """This process's monotonic clock, set by the test: `clock[0] = 61.0`."""
    now = [1000.0]
    monkeypatch.setattr(sharedcache, "clock", lambda: now[0])
    sharedcache.reset()
    yield now
    sharedcache.reset()


@pytest.fixture
def shared_cache_at(settings):
    """`shared_cache_at(url)`: the shared cache is the Redis at `url`, with the options
    settings.py gives a CACHE_URL=redis://... (one-second timeouts)."""

    def point(url: str) -> None:
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                "BACKEND": REDIS,
                "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
            },
        }

    return point


def test_a_failure_is_counted_every_time_and_logged_once_a_minute(clock, caplog):
    before = errors_counted("read_cache")
    with caplog.at_level(logging.ERROR, logger="conduit.sharedcache"):
        report_failure("read_cache", ConnectionError("Connection refused"))
        clock[0] += 30
        report_failure("read_cache", ConnectionError("Connection refused"))
        clock[0] += 29.9
        report_failure("read_cache", ConnectionError("Connection refused"))
        assert len(caplog.records) == 1
        clock[0] += 0.1  # a minute after the first line
        report_failure("read_cache", TimeoutError("Timeout reading from socket"))

    assert errors_counted("read_cache") == before + 4
    first, second = caplog.records
    assert first.levelno == logging.ERROR
    assert "failed during read_cache: Connection refused" in first.getMessage()
    assert isinstance(first.exc_info[1], ConnectionError)
    assert "Timeout reading from socket" in second.getMessage()
    assert "2 more failures since the last report" in second.getMessage()


def test_reads_and_writes_go_on_loudly_when_the_shared_cache_is_down(
    shared_cache_at, settings, alice, client_for, clock, caplog
):
    settings.READ_CACHE_SECONDS = 60
    settings.RATE_LIMITS = True
    settings.RATE_LIMIT_RATES = {**settings.RATE_LIMIT_RATES, "writes": "1/minute"}
    shared_cache_at(NOBODY_LISTENS)
    reads, limits = errors_counted("read_cache"), errors_counted("rate_limit")
    client = client_for(alice)
    article = {"title": "Down", "description": "d", "body": "b", "tagList": []}

    with caplog.at_level(logging.ERROR, logger="conduit.sharedcache"):
        created = [client.post("/api/articles", {"article": article}) for _ in range(2)]
        listed = client.get("/api/articles")

    # Nothing counted the writes, so the one-a-minute limit refused neither.
    assert [response.status_code for response in created] == [201, 201]
    assert listed.status_code == 200
    assert listed.json()["articlesCount"] == 2
    assert errors_counted("read_cache") > reads
    assert errors_counted("rate_limit") >= limits + 2
    (logged,) = [record for record in caplog.records if record.name == "conduit.sharedcache"]
    assert "redis://127.0.0.1:1/0" in logged.getMessage()


def test_a_stalled_shared_cache_costs_a_read_about_a_second_not_a_hang(
    shared_cache_at, settings, api_client, clock, db
):
    settings.READ_CACHE_SECONDS = 60
    before = errors_counted("read_cache")
    # A server that accepts connections and never answers.
    silent = socket.create_server(("127.0.0.1", SILENT_PORT), reuse_port=False)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    shared_cache_at(f"redis://127.0.0.1:{SILENT_PORT}/0")
    try:
        started = time.monotonic()
        response = api_client.get("/api/tags")
        took = time.monotonic() - started
    finally:
        for connection in accepted:
            connection.close()
        silent.close()

    assert response.status_code == 200
    assert errors_counted("read_cache") == before + 1
    assert 0.9 < took < 3.0


def test_the_check_fails_when_the_shared_cache_cannot_be_reached(shared_cache_at):
    shared_cache_at(NOBODY_LISTENS)

    errors = check_shared_cache()

    assert [error.id for error in errors] == ["conduit.E001"]
    assert "cannot be reached (redis://127.0.0.1:1/0)" in errors[0].msg
    assert "Connection refused" in errors[0].msg
    with pytest.raises(SystemCheckError, match=r"conduit\.E001"):
        call_command("check")


def test_the_check_never_shows_the_cache_urls_password(shared_cache_at):
    shared_cache_at("redis://:s3cret-word@127.0.0.1:1/0")

    (error,) = check_shared_cache()

    assert "s3cret-word" not in error.msg
    assert "redis://***@127.0.0.1:1/0" in error.msg


def test_the_check_passes_against_the_configured_shared_cache():
    # Memory in a plain run; the real Redis under CACHE_URL=redis://... (.ci/run).
    assert check_shared_cache() == []
    # Only the caches' checks: the suite registers test-only event classes that the event
    # system's own checks would rightly refuse.
    call_command("check", tag=["caches"])


def test_make_serve_stops_before_gunicorn_when_the_shared_cache_cannot_be_reached():
    env = os.environ | {
        "CACHE_URL": NOBODY_LISTENS,
        "DEBUG": "off",
        "SECRET_KEY": "a-key-for-this-test-only-long-and-varied-enough-0123456789",
        "EMAIL_URL": "consolemail://",
        "PORT": "8110",
    }
    finished = subprocess.run(
        ["make", "-s", "serve"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode != 0
    assert "conduit.E001" in finished.stderr
    with pytest.raises(OSError):  # gunicorn never started
        socket.create_connection(("127.0.0.1", 8110), timeout=1).close()


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("redis://127.0.0.1:6379/1", {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}),
        (
            "redis://127.0.0.1:6379/1?socket_timeout=2",
            {"socket_connect_timeout": 1.0, "socket_timeout": 2},
        ),
    ],
)
def test_cache_url_redis_is_djangos_redis_cache_with_short_timeouts(monkeypatch, url, options):
    monkeypatch.setenv("CACHE_URL", url)

    configured = runpy.run_path(str(django_settings.BASE_DIR / "conduit" / "settings.py"))

    shared = configured["CACHES"]["default"]
    assert shared["BACKEND"] == REDIS
    assert shared["LOCATION"] == "redis://127.0.0.1:6379/1"
    assert shared["OPTIONS"] == options
