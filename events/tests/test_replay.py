"""`events_replay`: stored events delivered again, in the order they happened, to one handler
through the worker, after every live delivery; once per event whatever is run twice."""

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus

from events import bus
from events.models import DeliveryReceipt, EventRecord
from events.ops.events import BulkOperationCompleted
from events.outbox import REPLAY_PRIORITY, deliveries, enqueue_deliveries
from events.testing import assert_same_events, recorded
from events.tests import support
from events.tests.support import SampleHappened, SpecialSampleHappened
from events.worker import build_worker

pytestmark = pytest.mark.django_db

REMEMBER = "events.tests.support.remember"


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 12, tzinfo=UTC)


@pytest.fixture
def history(fresh_bus):
    """Three samples recorded before anything handled them, published out of order."""
    for sample_id, day in ((3, 3), (1, 1), (2, 2)):
        bus.publish(SampleHappened(sample_id=sample_id, occurred_at=at(day)))
    return fresh_bus


def replay(*args: str, stdout=None) -> str:
    out = stdout or StringIO()
    call_command("events_replay", *args, stdout=out)
    return out.getvalue()


def handled() -> list[int]:
    return [event.sample_id for name, event in support.calls if name == "remember"]


def test_a_receiver_added_later_is_backfilled_in_order(history, operation_clock):
    history.subscribe(SampleHappened, support.remember, background=True)

    output = replay("--handler", REMEMBER)

    assert output == (
        f"Replay to {REMEMBER} of tests.SampleHappened, tests.SpecialSampleHappened\n"
        "  3 events matched: 0 already handled, 0 already waiting, 0 dead (events_retry hands "
        "those back)\n"
        "Queued 3 deliveries; the worker runs them in order, after any live delivery "
        "(events_stats shows how far it is).\n"
    )
    rows = list(deliveries().order_by("run_after"))
    assert [row.priority for row in rows] == [REPLAY_PRIORITY] * 3
    assert handled() == []

    build_worker().run()

    assert handled() == [1, 2, 3]
    assert DeliveryReceipt.objects.filter(handler=REMEMBER).count() == 3
    assert_same_events(
        recorded(BulkOperationCompleted),
        [
            BulkOperationCompleted(
                kind="events.replay",
                count=3,
                succeeded=3,
                skipped=0,
                details=f"3 events queued for {REMEMBER}; 0 already handled, "
                "0 already waiting, 0 dead",
                events_published={},
                duration_ms=0,
            )
        ],
    )


def test_a_second_replay_queues_nothing(history):
    replay("--handler", REMEMBER, "--type", "tests.SampleHappened")
    build_worker().run()
    queued = deliveries().count()

    output = replay("--handler", REMEMBER, "--type", "tests.SampleHappened")

    assert output.splitlines()[1:] == [
        "  3 events matched: 3 already handled, 0 already waiting, 0 dead (events_retry hands "
        "those back)",
        "Nothing to replay.",
    ]
    assert deliveries().count() == queued
    build_worker().run()
    assert handled() == [1, 2, 3]


def test_events_already_waiting_are_not_queued_twice(history):
    replay("--handler", REMEMBER, "--type", "tests.SampleHappened")

    output = replay("--handler", REMEMBER, "--type", "tests.SampleHappened", "--json")

    assert json.loads(output) == {
        "handler": REMEMBER,
        "event_types": ["tests.SampleHappened"],
        "matched": 3,
        "handled": 0,
        "waiting": 3,
        "dead": 0,
        "to_queue": 0,
        "dry_run": False,
        "queued": 0,
    }
    assert deliveries().count() == 3


def test_live_deliveries_go_before_replayed_ones(history):
    replay("--handler", REMEMBER, "--type", "tests.SampleHappened")
    live = SampleHappened(sample_id=99)
    bus.publish(live)
    enqueue_deliveries(live, [REMEMBER])

    build_worker().run()

    assert handled() == [99, 1, 2, 3]


def test_a_dry_run_counts_and_queues_nothing(history):
    output = replay("--handler", REMEMBER, "--type", "tests.SampleHappened", "--dry-run")

    assert output.splitlines()[-1] == "Would queue 3 deliveries."
    assert not deliveries().exists()
    assert not EventRecord.objects.filter(type=BulkOperationCompleted.type_name).exists()


def test_type_and_time_narrow_the_replay(history):
    bus.publish(SpecialSampleHappened(sample_id=4, occurred_at=at(2)))

    replay(
        "--handler",
        REMEMBER,
        "--type",
        "tests.SampleHappened",
        "--since",
        "2026-03-02",
        "--until",
        "2026-03-03T00:00:00Z",
    )
    build_worker().run()

    assert handled() == [2]


def test_progress_is_drawn_on_a_terminal_only(history):
    class Terminal(StringIO):
        def isatty(self) -> bool:
            return True

    drawn = replay("--handler", REMEMBER, "--type", "tests.SampleHappened", stdout=Terminal())

    assert f"\rQueueing [{'#' * 30}] 3/3\n" in drawn
    assert "Queueing" not in replay("--handler", REMEMBER, "--type", "tests.SampleHappened")


def test_dead_deliveries_are_left_to_events_retry(history):
    [dead] = enqueue_deliveries(SampleHappened(sample_id=0), [REMEMBER])
    first = EventRecord.objects.order_by("occurred_at").first()
    deliveries().filter(pk=dead).update(
        status=TaskResultStatus.FAILED,
        args_kwargs={"args": [str(first.pk), REMEMBER], "kwargs": {}},
    )

    output = json.loads(replay("--handler", REMEMBER, "--type", "tests.SampleHappened", "--json"))

    assert (output["dead"], output["queued"]) == (1, 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--handler", "events.tests.support.nowhere"], "cannot be imported"),
        (["--handler", "events.tests.support.calls"], "is not a function"),
        (["--handler", REMEMBER], "is wired to no event type; name the types"),
        (["--handler", REMEMBER, "--type", "tests.Nothing"], "Unknown event type"),
        (["--handler", REMEMBER, "--type", "tests.SampleHappened", "--since", "soon"], "--since"),
        (
            ["--handler", REMEMBER, "--type", "tests.SampleHappened", "--until", "2026-02-30"],
            "--until '2026-02-30' is not an ISO 8601 date or date-time.",
        ),
        (
            [
                "--handler",
                REMEMBER,
                "--type",
                "tests.SampleHappened",
                "--since",
                "2026-03-02",
                "--until",
                "2026-03-01",
            ],
            "--since must come before --until.",
        ),
    ],
)
def test_bad_input_is_refused(history, args, message):
    with pytest.raises(CommandError) as refused:
        replay(*args)

    assert message in str(refused.value)
    assert not deliveries().exists()
