"""HighTrafficDetected: the requests of a clock minute, added up from every process's flushes,
reaching ANALYTICS_HIGH_TRAFFIC_PER_MINUTE publish it once for that minute, with the count."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from events.models import EventRecord
from events.outbox import event_from_record
from events.system.analytics import flush, services, tally
from events.system.analytics.events import HighTrafficDetected
from events.system.analytics.models import TrafficMinute
from events.testing import assert_same_events

pytestmark = pytest.mark.django_db

MINUTE = int(time.time() // 60) - 10  # a recent clock minute, in minutes since the epoch
WINDOW = datetime.fromtimestamp(MINUTE * 60, UTC)


@pytest.fixture
def threshold(settings):
    settings.ANALYTICS_HIGH_TRAFFIC_PER_MINUTE = 3
    return 3


@pytest.fixture
def at_minute(monkeypatch):
    def pin(minute: int) -> None:
        monkeypatch.setattr(tally, "clock", lambda: minute * 60 + 30)

    return pin


def alerts() -> list[HighTrafficDetected]:
    records = EventRecord.objects.filter(type="events.HighTrafficDetected").order_by("occurred_at")
    return [event_from_record(record) for record in records]


def get(client, times: int) -> None:
    for _ in range(times):
        client.get("/api/tags")


def test_a_busy_minute_is_reported_once_with_its_count(api_client, threshold, at_minute):
    at_minute(MINUTE)
    get(api_client, 2)
    api_client.get("/api/nothing/here")  # a 404 is traffic too
    flush.flush()
    get(api_client, 4)
    flush.flush()

    assert_same_events(
        alerts(), [HighTrafficDetected(window_start=WINDOW, requests=3, threshold=3)]
    )
    assert TrafficMinute.objects.get(minute=WINDOW).requests == 7


def test_each_busy_minute_is_reported_and_a_quiet_one_is_not(api_client, threshold, at_minute):
    at_minute(MINUTE)
    get(api_client, 3)
    at_minute(MINUTE + 1)
    get(api_client, 2)
    at_minute(MINUTE + 2)
    get(api_client, 5)
    flush.flush()

    assert [(a.window_start.minute, a.requests) for a in alerts()] == [
        (WINDOW.minute, 3),
        ((WINDOW.minute + 2) % 60, 5),
    ]


def test_with_the_threshold_off_nothing_is_reported(api_client, at_minute, settings):
    settings.ANALYTICS_HIGH_TRAFFIC_PER_MINUTE = 0
    at_minute(MINUTE)
    get(api_client, 5)
    flush.flush()

    assert alerts() == []
    assert TrafficMinute.objects.get().requests == 5


@pytest.mark.django_db(transaction=True)
def test_processes_under_the_threshold_alone_cross_it_together_and_report_it_once(threshold):
    """Two processes flush two requests each for the same minute at once: neither reaches 3
    alone, together they do, and exactly one of them reports it."""
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def process_flush() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                services.traffic_add({MINUTE: 2}, now=WINDOW)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=process_flush) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert_same_events(
        alerts(), [HighTrafficDetected(window_start=WINDOW, requests=4, threshold=3)]
    )
