"""SlowQueryDetected: a statement slower than ANALYTICS_SLOW_QUERY_MS, seen by the execute
wrapper on every connection, is audited by the next flush with its shape, duration and
request path, at most once per shape per minute (over every process); the others of that
minute are counted."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from events.models import EventRecord
from events.system.analytics import flush, services, tally
from events.system.analytics.events import SlowQueryDetected
from events.system.analytics.models import SlowQuery
from events.system.analytics.slowqueries import fingerprint, statement_shape
from events.system.analytics.tally import SlowSample
from events.testing import assert_same_events

pytestmark = pytest.mark.django_db

SLEEP = "SELECT pg_sleep(%s)"
SHAPE = "SELECT pg_sleep(...)"
MINUTE = 29_000_000  # a clock minute, in minutes since the epoch


@pytest.fixture
def slow_ms(settings):
    """Statements of 50 ms or more are slow; SQLite learns PostgreSQL's pg_sleep."""
    settings.ANALYTICS_SLOW_QUERY_MS = 50
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        connection.connection.create_function("pg_sleep", 1, time.sleep)


@pytest.fixture
def at_minute(monkeypatch):
    """Pins the clock at `seconds` into MINUTE."""

    def pin(seconds: float) -> None:
        monkeypatch.setattr(tally, "clock", lambda: MINUTE * 60 + seconds)

    return pin


def run(sql: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def recorded() -> list[SlowQueryDetected]:
    from events.outbox import event_from_record

    records = EventRecord.objects.filter(type="events.SlowQueryDetected").order_by("occurred_at")
    return [event_from_record(record) for record in records]


def test_a_slow_statement_is_audited_once_per_shape_per_minute(slow_ms, at_minute):
    at_minute(10)
    run(SLEEP, 0.06)
    run(SLEEP, 0.07)
    run("SELECT 1")  # fast
    flush.flush()
    at_minute(50)
    run(SLEEP, 0.06)
    flush.flush()

    [event] = recorded()
    assert event.fingerprint == fingerprint(SHAPE)
    assert (event.shape, event.path) == (SHAPE, "")
    assert 60 <= event.duration_ms < 1000
    row = SlowQuery.objects.get()
    assert (row.fingerprint, row.shape, row.occurrences) == (fingerprint(SHAPE), SHAPE, 3)
    assert 70 <= row.duration_ms < 1000
    assert row.minute == datetime.fromtimestamp(MINUTE * 60, UTC)


def test_the_next_minute_reports_the_shape_again(slow_ms, at_minute):
    at_minute(59)
    run(SLEEP, 0.06)
    flush.flush()
    at_minute(61)
    run(SLEEP, 0.06)
    flush.flush()

    assert [event.shape for event in recorded()] == [SHAPE, SHAPE]
    assert SlowQuery.objects.count() == 2


def test_statements_under_the_threshold_or_with_the_monitor_off_are_not_reported(slow_ms, settings):
    run(SLEEP, 0.01)
    settings.ANALYTICS_SLOW_QUERY_MS = 0
    run(SLEEP, 0.06)
    flush.flush()

    assert recorded() == []
    assert not SlowQuery.objects.exists()


def test_a_slow_request_names_its_path_and_request(api_client, settings, alice):
    settings.ANALYTICS_SLOW_QUERY_MS = 0.000001  # every statement is slow

    response = api_client.get("/api/profiles/alice", HTTP_X_REQUEST_ID="slow-one")
    flush.flush()

    assert response.status_code == 200
    events = recorded()
    assert events and {event.path for event in events} == {"/api/profiles/alice"}
    requests = EventRecord.objects.filter(type="events.SlowQueryDetected")
    assert set(requests.values_list("request_id", flat=True)) == {"slow-one"}


def test_the_shape_hides_parameters_literals_and_list_lengths():
    a = statement_shape(
        'SELECT "t"."id" FROM "t" WHERE "t"."id" IN (%s, %s, %s) AND "t"."name" = \'bob\' LIMIT 21'
    )
    b = statement_shape(
        'SELECT  "t"."id" FROM "t"\n WHERE "t"."id" IN (%s) AND "t"."name" = \'it\'\'s\' LIMIT 3'
    )

    assert a == b == 'SELECT "t"."id" FROM "t" WHERE "t"."id" IN (...) AND "t"."name" = ? LIMIT ?'
    assert statement_shape("INSERT INTO t1 (a, b) VALUES (%s, %s), (%s, %s)") == (
        "INSERT INTO t1 (a, b) VALUES (...), ..."
    )
    assert len(statement_shape("SELECT " + "x, " * 1000)) == 1000


@pytest.mark.django_db(transaction=True)
def test_two_processes_flushing_one_shape_in_one_minute_publish_it_once():
    sample = SlowSample(fingerprint(SHAPE), SHAPE, 250.0, "/api/x", "r1", MINUTE * 60 + 5)
    barrier = threading.Barrier(2)
    published: list[list[SlowQueryDetected]] = []

    def process_flush() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                published.append(services.slow_queries_add([sample]))
        finally:
            connection.close()

    threads = [threading.Thread(target=process_flush) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(len(events) for events in published) == [0, 1]
    assert_same_events(
        recorded(),
        [
            SlowQueryDetected(
                fingerprint=fingerprint(SHAPE), shape=SHAPE, duration_ms=250.0, path="/api/x"
            )
        ],
    )
    assert SlowQuery.objects.get().occurrences == 2
