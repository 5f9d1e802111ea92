import json
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events import bus
from events.models import EventRecord
from events.outbox import deliveries
from events.tests import support
from events.tests.support import SampleFollowedUp, SampleHappened
from events.worker import build_worker, requeue_expired_leases, retry_delay

pytestmark = pytest.mark.django_db

FLAKY = "events.tests.support.flaky_follow_up"


def run_due_deliveries() -> None:
    """Pretend the retry delay has passed, then let the worker run what is due."""
    deliveries().filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
    build_worker().run()


def follow_ups() -> int:
    return EventRecord.objects.filter(type=SampleFollowedUp.type_name).count()


@pytest.fixture
def flaky(fresh_bus, monkeypatch):
    fresh_bus.subscribe(SampleHappened, support.flaky_follow_up, background=True)

    def fail_times(count: int) -> None:
        monkeypatch.setattr(support, "flaky_failures_left", count)

    return fail_times


def test_a_failing_background_handler_is_retried_with_growing_delays(flaky, committed, settings):
    settings.EVENTS_MAX_ATTEMPTS = 5
    flaky(3)
    with committed():
        bus.publish(SampleHappened(sample_id=1))

    delays = []
    for _ in range(3):
        delivery = deliveries().get()
        assert delivery.status == TaskResultStatus.READY
        assert "RuntimeError: not yet" in delivery.traceback
        delays.append(round((delivery.run_after - delivery.finished_at).total_seconds()))
        run_due_deliveries()

    assert delays == [2, 4, 8]
    delivery = deliveries().get()
    assert delivery.status == TaskResultStatus.SUCCESSFUL
    assert len(delivery.worker_ids) == 4
    assert follow_ups() == 1


def test_a_delivery_is_dead_after_the_last_attempt_and_events_retry_revives_it(
    flaky, committed, settings
):
    settings.EVENTS_MAX_ATTEMPTS = 3
    flaky(3)
    with committed():
        bus.publish(SampleHappened(sample_id=1))
    run_due_deliveries()
    run_due_deliveries()

    dead = deliveries().get()
    assert dead.status == TaskResultStatus.FAILED
    assert len(dead.worker_ids) == 3
    run_due_deliveries()
    assert deliveries().get().status == TaskResultStatus.FAILED, "dead stays dead"

    call_command("events_retry", "--handler", "flaky_follow_up", stdout=_sink())
    revived = deliveries().get()
    assert (revived.status, revived.worker_ids) == (TaskResultStatus.READY, [])

    build_worker().run()
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL
    assert follow_ups() == 1


def test_events_retry_dry_run_lists_and_changes_nothing(flaky, committed, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    flaky(1)
    with committed():
        event = SampleHappened(sample_id=1)
        bus.publish(event)

    out = _sink()
    call_command("events_retry", "--dry-run", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert report["retried"] == 0
    assert [item["event_id"] for item in report["deliveries"]] == [str(event.event_id)]
    assert report["deliveries"][0]["handler"] == FLAKY
    assert deliveries().get().status == TaskResultStatus.FAILED


def test_events_retry_filters_by_event_type(flaky, committed, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    flaky(1)
    with committed():
        bus.publish(SampleHappened(sample_id=1))

    call_command("events_retry", "--type", "tests.SomethingElse", stdout=_sink())
    assert deliveries().get().status == TaskResultStatus.FAILED

    call_command("events_retry", "--type", "tests.SampleHappened", stdout=_sink())
    assert deliveries().get().status == TaskResultStatus.READY


def test_a_failed_inline_handler_can_be_rerun_by_events_retry(fresh_bus, committed):
    fresh_bus.subscribe(SampleHappened, support.flaky_follow_up)
    support.flaky_failures_left = 1
    with committed():
        bus.publish(SampleHappened(sample_id=4))
    assert follow_ups() == 0

    call_command("events_retry", stdout=_sink())
    build_worker().run()

    assert follow_ups() == 1
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL


def test_a_delivery_whose_lease_expired_is_requeued(fresh_bus, settings):
    settings.EVENTS_DELIVER_ON_COMMIT = False
    settings.EVENTS_LEASE_SECONDS = 60
    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)
    bus.publish(SampleHappened(sample_id=1))
    deliveries().update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=30),
        worker_ids=["killed-worker"],
    )

    assert requeue_expired_leases() == 0, "the lease has not expired yet"
    deliveries().update(started_at=timezone.now() - timedelta(seconds=61))
    assert requeue_expired_leases() == 1

    build_worker().run()
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL
    assert follow_ups() == 1


def test_retry_delays_double_up_to_the_cap(settings):
    settings.EVENTS_RETRY_BASE_SECONDS = 2
    settings.EVENTS_RETRY_MAX_SECONDS = 20

    assert [retry_delay(n).total_seconds() for n in range(1, 6)] == [2, 4, 8, 16, 20]


def test_events_stats_reports_published_types_handlers_and_backlog(flaky, committed, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    flaky(1)
    with committed():
        bus.publish(SampleHappened(sample_id=1))
        bus.publish(SampleHappened(sample_id=2))

    out = _sink()
    call_command("events_stats", "--json", stdout=out)

    stats = json.loads(out.getvalue())
    assert stats["published"] == {"tests.SampleFollowedUp": 1, "tests.SampleHappened": 2}
    assert stats["handlers"][FLAKY] == {
        "handled": 1,
        "pending": 0,
        "retrying": 0,
        "running": 0,
        "dead": 1,
    }
    assert stats["deliveries"] == {"pending": 0, "running": 0, "dead": 1}


def _sink():
    from io import StringIO

    return StringIO()


def test_deliveries_queued_under_the_old_task_path_are_moved_to_the_outbox(fresh_bus, settings):
    settings.EVENTS_DELIVER_ON_COMMIT = False
    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)
    bus.publish(SampleHappened(sample_id=1))
    DBTaskResult.objects.update(task_path="events.delivery.deliver_event")
    assert deliveries().count() == 0, "the worker would not know the row"

    import_module("events.migrations.0003_deliveries_task_path").forwards(django_apps, None)

    assert deliveries().get().task_path == "events.outbox.deliver_event"
    build_worker().run()
    assert follow_ups() == 1
