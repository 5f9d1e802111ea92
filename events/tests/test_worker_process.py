"""The real `manage.py db_worker`, in its own process, against the test database."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus

from events import bus
from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliveries
from events.tests import support
from events.tests.support import SampleFollowedUp, SampleHappened

pytestmark = pytest.mark.django_db(transaction=True)

NAP_HANDLER = "events.tests.support.follow_up_after_a_nap"


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(
    *args: str,
    lease_seconds: float | None = 300,
    shutdown_grace_seconds: float = 30,
    processes: int = 1,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """`manage.py db_worker` against the test database (`lease_seconds` None: the default)."""
    env = (
        os.environ
        | {
            "WORKER_PROCESSES": str(processes),
            "DATABASE_URL": database_url(),
            "EVENTS_SHUTDOWN_GRACE_SECONDS": str(shutdown_grace_seconds),
            "EVENTS_DELIVER_ON_COMMIT": "off",
            "DEBUG": "on",
        }
        | (extra_env or {})
    )
    if lease_seconds is not None:
        env["EVENTS_LEASE_SECONDS"] = str(lease_seconds)
    else:
        env.pop("EVENTS_LEASE_SECONDS", None)
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1"]
    return subprocess.Popen(
        [*command, "--no-startup-delay", "--no-reload", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.fixture
def worker_bus(fresh_bus, settings):
    settings.EVENTS_DELIVER_ON_COMMIT = False
    return fresh_bus


def test_db_worker_processes_committed_deliveries(worker_bus):
    worker_bus.subscribe(SampleHappened, support.follow_up, background=True)
    event = SampleHappened(sample_id=1)
    bus.publish(event)
    assert deliveries().get().status == TaskResultStatus.READY

    worker = start_worker("--batch")
    output, _ = worker.communicate(timeout=60)

    assert worker.returncode == 0, output
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL
    follow_up = EventRecord.objects.get(type=SampleFollowedUp.type_name)
    assert follow_up.causation_id == event.event_id


def test_a_worker_killed_mid_delivery_loses_nothing(worker_bus, tmp_path: Path):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    event = SampleHappened(sample_id=2, marker_path=str(marker), sleep_seconds=60)
    bus.publish(event)

    doomed = start_worker()
    try:
        wait_for(marker.exists)
        assert deliveries().get().status == TaskResultStatus.RUNNING
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate(timeout=30)
    assert deliveries().get().status == TaskResultStatus.RUNNING, "left behind by the kill"
    assert not EventRecord.objects.filter(type=SampleFollowedUp.type_name).exists()

    time.sleep(1.1)
    rescuer = start_worker("--batch", lease_seconds=1)
    output, _ = rescuer.communicate(timeout=60)

    assert rescuer.returncode == 0, output
    delivery = deliveries().get()
    assert delivery.status == TaskResultStatus.SUCCESSFUL
    assert len(delivery.worker_ids) == 2
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1
    assert DeliveryReceipt.objects.filter(event_id=event.event_id, handler=NAP_HANDLER).count() == 1


def test_sigterm_lets_the_delivery_in_hand_finish_and_claims_nothing_more(
    worker_bus, tmp_path: Path
):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    event = SampleHappened(sample_id=3, marker_path=str(marker), sleep_seconds=2)
    bus.publish(event)
    waiting = SampleHappened(sample_id=4, marker_path=str(tmp_path / "other"))
    bus.publish(waiting)

    worker = start_worker()
    wait_for(marker.exists)
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=60)

    assert worker.returncode == 0, output
    finished = deliveries().get(args_kwargs__args__0=str(event.event_id))
    assert (finished.status, len(finished.worker_ids)) == (TaskResultStatus.SUCCESSFUL, 1)
    assert DeliveryReceipt.objects.filter(event_id=event.event_id, handler=NAP_HANDLER).count() == 1
    follow_ups = EventRecord.objects.filter(type=SampleFollowedUp.type_name)
    assert [record.payload["sample_id"] for record in follow_ups] == [3]
    untouched = deliveries().get(args_kwargs__args__0=str(waiting.event_id))
    assert (untouched.status, untouched.worker_ids) == (TaskResultStatus.READY, [])


def test_a_delivery_past_the_shutdown_grace_is_handed_back_whole(worker_bus, tmp_path: Path):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    event = SampleHappened(sample_id=5, marker_path=str(marker), sleep_seconds=60)
    bus.publish(event)

    worker = start_worker(shutdown_grace_seconds=0.5)
    wait_for(marker.exists)
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=30)

    assert worker.returncode == 1, output
    handed_back = deliveries().get()
    assert (handed_back.status, handed_back.worker_ids) == (TaskResultStatus.READY, [])
    assert not EventRecord.objects.filter(type=SampleFollowedUp.type_name).exists()
    assert not DeliveryReceipt.objects.exists()

    rescuer = start_worker("--batch")
    output, _ = rescuer.communicate(timeout=60)

    assert rescuer.returncode == 0, output
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serving(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def session_members(session_id: int) -> list[str]:
    """The processes still in a session (Linux: /proc/<pid>/stat, field 6)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[3]) == session_id:
            members.append(stat.parent.name)
    return members


def test_ctrl_c_on_make_run_stops_server_and_worker_and_leaves_nothing_running(
    worker_bus, tmp_path: Path
):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    event = SampleHappened(sample_id=6, marker_path=str(marker), sleep_seconds=2)
    bus.publish(event)
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "EVENTS_DELIVER_ON_COMMIT": "off",
        "DEBUG": "on",
    }
    # `-o seed`: the test database is migrated already, and needs no demo data.
    make = subprocess.Popen(
        ["make", "-o", "seed", "run", f"PORT={port}", "HOST=127.0.0.1"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a terminal of its own: Ctrl-C reaches its foreground group
    )
    try:
        wait_for(lambda: serving(port) and marker.exists())
        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C does
        output, _ = make.communicate(timeout=60)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)

    assert session_members(make.pid) == [], output
    assert not serving(port)
    assert not deliveries().filter(status=TaskResultStatus.RUNNING).exists()
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL, output
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1
