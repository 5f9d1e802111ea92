"""Several real worker processes on one queue, leases, and a rolling deploy (issue 21)."""

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus

from events import bus
from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliveries, enqueue_deliveries
from events.tests import support
from events.tests.support import SampleFollowedUp, SampleHappened
from events.tests.test_worker_process import database_url, start_worker, wait_for
from events.worker import DEFER_SECONDS, build_worker

pytestmark = pytest.mark.django_db(transaction=True)

RUN_HANDLER = "events.tests.support.note_run_and_follow_up"


@pytest.fixture
def worker_bus(fresh_bus, settings):
    settings.EVENTS_DELIVER_ON_COMMIT = False
    return fresh_bus


def stop(*workers) -> list[str]:
    outputs = []
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        outputs.append(worker.communicate(timeout=60)[0])
    return outputs


def test_several_workers_on_several_hosts_share_one_queue_and_run_each_delivery_once(
    sessions, worker_bus, tmp_path: Path
):
    """Three processes under one supervisor (WORKER_PROCESSES=3) and a second worker as
    another host would run it, claiming small batches from one queue."""
    worker_bus.subscribe(SampleHappened, support.note_run_and_follow_up, background=True)
    runs = tmp_path / "runs"
    published = 240
    pool = start_worker(sessions, processes=3, extra_env={"EVENTS_WORKER_BATCH": "7"})
    other_host = start_worker(sessions, extra_env={"EVENTS_WORKER_BATCH": "5"})
    try:
        # Every process is up (the first to start has run this one), then the burst.
        bus.publish(SampleHappened(sample_id=0, marker_path=str(runs)))
        wait_for(lambda: deliveries().filter(status=TaskResultStatus.SUCCESSFUL).exists())
        time.sleep(3)
        for sample_id in range(1, published):
            bus.publish(
                SampleHappened(sample_id=sample_id, marker_path=str(runs), sleep_seconds=0.01)
            )
        wait_for(
            lambda: deliveries().filter(status=TaskResultStatus.SUCCESSFUL).count() == published,
            timeout=120,
        )
    finally:
        outputs = stop(pool, other_host)

    assert (pool.returncode, other_host.returncode) == (0, 0), outputs
    ran = Counter(int(line) for line in runs.read_text().split())
    assert ran == Counter(range(published)), "every delivery ran exactly once"
    assert all(len(row.worker_ids) == 1 for row in deliveries()), "each claimed once"
    workers = {row.worker_ids[0] for row in deliveries()}
    assert len(workers) >= 2, f"the queue was shared: {workers}"
    follow_ups = Counter(
        record.payload["sample_id"]
        for record in EventRecord.objects.filter(type=SampleFollowedUp.type_name)
    )
    assert follow_ups == Counter(range(published))
    assert DeliveryReceipt.objects.filter(handler=RUN_HANDLER).count() == published


def test_a_killed_workers_delivery_runs_again_within_30_seconds_once(
    sessions, worker_bus, tmp_path: Path
):
    """With the default lease: the running worker renews its leases, so only the killed
    worker's delivery goes back, and the other worker runs it."""
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    event = SampleHappened(sample_id=7, marker_path=str(marker), sleep_seconds=120)
    bus.publish(event)

    doomed = start_worker(sessions, lease_seconds=None)
    wait_for(marker.exists)
    rescuer = start_worker(sessions, lease_seconds=None)
    try:
        time.sleep(1.0)  # the rescuer is up and polling
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate(timeout=30)
        killed_at = time.monotonic()
        wait_for(lambda: deliveries().get().status == TaskResultStatus.SUCCESSFUL, timeout=60)
        rerun_after = time.monotonic() - killed_at
    finally:
        output = stop(rescuer)

    assert rerun_after < 30, (rerun_after, output)
    assert len(deliveries().get().worker_ids) == 2
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1


def test_a_delivery_longer_than_the_lease_is_not_taken_from_its_running_worker(
    sessions, worker_bus, tmp_path: Path
):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    bus.publish(SampleHappened(sample_id=8, marker_path=str(marker), sleep_seconds=6))

    first = start_worker(sessions, lease_seconds=1.5)
    wait_for(marker.exists)
    second = start_worker(sessions, lease_seconds=1.5)
    try:
        wait_for(lambda: deliveries().get().status == TaskResultStatus.SUCCESSFUL, timeout=60)
    finally:
        outputs = stop(first, second)

    assert len(deliveries().get().worker_ids) == 1, outputs
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1


def test_sigterm_to_the_supervisor_finishes_each_workers_delivery_and_exits_0(
    sessions, worker_bus, tmp_path: Path
):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    bus.publish(SampleHappened(sample_id=9, marker_path=str(marker), sleep_seconds=2))

    pool = start_worker(sessions, processes=2)
    wait_for(marker.exists)
    pool.send_signal(signal.SIGTERM)
    output, _ = pool.communicate(timeout=60)

    assert pool.returncode == 0, output
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL
    assert not deliveries().filter(status=TaskResultStatus.RUNNING).exists()
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1


def test_an_event_newer_than_the_worker_is_left_for_a_newer_worker_not_dead_lettered(
    sessions, worker_bus, settings
):
    """A rolling deploy: the web already writes version 2 of an event this worker knows at
    version 1 (and a handler it does not have)."""
    settings.EVENTS_MAX_ATTEMPTS = 1
    event = SampleHappened(sample_id=10)
    newer = EventRecord.objects.create(
        event_id=event.event_id,
        type=SampleHappened.type_name,
        version=SampleHappened.version + 1,
        payload=event.to_payload() | {"added_in_v2": True},
        occurred_at=event.occurred_at,
    )
    enqueue_deliveries(event, ["events.tests.support.follow_up"])
    unknown = SampleHappened(sample_id=11)
    bus.publish(unknown)
    enqueue_deliveries(unknown, ["events.tests.support.added_by_a_later_release"])

    before = time.time()
    build_worker().run()

    for row in deliveries():
        assert (row.status, row.worker_ids) == (TaskResultStatus.READY, []), row.args_kwargs
        assert row.run_after.timestamp() >= before + DEFER_SECONDS - 1
    assert not DeliveryReceipt.objects.filter(event_id=newer.event_id).exists()
    assert not EventRecord.objects.filter(type=SampleFollowedUp.type_name).exists()


def _workers_on(url: str) -> list[int]:
    """The db_worker processes alive on this database (their environment names it)."""
    found = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if b"db_worker" not in (process / "cmdline").read_bytes():
                continue
            if f"DATABASE_URL={url}".encode() not in (process / "environ").read_bytes():
                continue
            if (process / "stat").read_text().split()[2] != "Z":
                found.append(int(process.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def test_a_stop_request_while_the_supervisor_starts_its_workers_stops_every_one(
    sessions, worker_bus
):
    """The request reaches the supervisor as soon as its first worker started, most often
    before its last one did: the workers started after it are told too, and none is left
    running unsupervised."""
    pool = start_worker(sessions, processes=4)
    children = Path(f"/proc/{pool.pid}/task/{pool.pid}/children")
    wait_for(lambda: children.exists() and children.read_text().split(), timeout=60)
    pool.send_signal(signal.SIGTERM)
    output, _ = pool.communicate(timeout=60)

    assert pool.returncode == 0, output
    assert "Started 4 worker processes" in output
    wait_for(lambda: not _workers_on(database_url()), timeout=30, what="for the workers to stop")
