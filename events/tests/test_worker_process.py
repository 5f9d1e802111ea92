"""The real `manage.py db_worker`, in its own process, against the test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus

from conduit.tests.processes import (
    FINISH_SECONDS,
    Sessions,
    free_port,
    serving,
    session_members,
    wait_for,
)
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
    sessions,
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
    return sessions.popen(
        [*command, "--no-startup-delay", "--no-reload", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def worker_bus(fresh_bus, settings):
    settings.EVENTS_DELIVER_ON_COMMIT = False
    return fresh_bus


def test_db_worker_processes_committed_deliveries(sessions, worker_bus):
    worker_bus.subscribe(SampleHappened, support.follow_up, background=True)
    event = SampleHappened(sample_id=1)
    bus.publish(event)
    assert deliveries().get().status == TaskResultStatus.READY

    worker = start_worker(sessions, "--batch")
    output, _ = worker.communicate(timeout=FINISH_SECONDS)

    assert worker.returncode == 0, output
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL
    follow_up = EventRecord.objects.get(type=SampleFollowedUp.type_name)
    assert follow_up.causation_id == event.event_id


def test_a_worker_killed_mid_delivery_loses_nothing(sessions, worker_bus, tmp_path: Path):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    event = SampleHappened(sample_id=2, marker_path=str(marker), sleep_seconds=60)
    bus.publish(event)

    doomed = start_worker(sessions)
    try:
        wait_for(marker.exists)
        assert deliveries().get().status == TaskResultStatus.RUNNING
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate(timeout=FINISH_SECONDS)
    assert deliveries().get().status == TaskResultStatus.RUNNING, "left behind by the kill"
    assert not EventRecord.objects.filter(type=SampleFollowedUp.type_name).exists()

    time.sleep(1.1)
    rescuer = start_worker(sessions, "--batch", lease_seconds=1)
    output, _ = rescuer.communicate(timeout=FINISH_SECONDS)

    assert rescuer.returncode == 0, output
    delivery = deliveries().get()
    assert delivery.status == TaskResultStatus.SUCCESSFUL
    assert len(delivery.worker_ids) == 2
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1
    assert DeliveryReceipt.objects.filter(event_id=event.event_id, handler=NAP_HANDLER).count() == 1


def test_sigterm_lets_the_delivery_in_hand_finish_and_claims_nothing_more(
    sessions, worker_bus, tmp_path: Path
):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    event = SampleHappened(sample_id=3, marker_path=str(marker), sleep_seconds=FINISH_SECONDS)
    bus.publish(event)
    waiting = SampleHappened(sample_id=4, marker_path=str(tmp_path / "other"))
    bus.publish(waiting)

    worker = start_worker(sessions)
    wait_for(marker.exists)
    worker.send_signal(signal.SIGTERM)
    support.released(marker).touch()  # the delivery in hand finishes after the SIGTERM
    output, _ = worker.communicate(timeout=FINISH_SECONDS)

    assert worker.returncode == 0, output
    finished = deliveries().get(args_kwargs__args__0=str(event.event_id))
    assert (finished.status, len(finished.worker_ids)) == (TaskResultStatus.SUCCESSFUL, 1)
    assert DeliveryReceipt.objects.filter(event_id=event.event_id, handler=NAP_HANDLER).count() == 1
    follow_ups = EventRecord.objects.filter(type=SampleFollowedUp.type_name)
    assert [record.payload["sample_id"] for record in follow_ups] == [3]
    untouched = deliveries().get(args_kwargs__args__0=str(waiting.event_id))
    assert (untouched.status, untouched.worker_ids) == (TaskResultStatus.READY, [])


def test_a_delivery_past_the_shutdown_grace_is_handed_back_whole(
    sessions, worker_bus, tmp_path: Path
):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    event = SampleHappened(sample_id=5, marker_path=str(marker), sleep_seconds=60)
    bus.publish(event)

    worker = start_worker(sessions, shutdown_grace_seconds=0.5)
    wait_for(marker.exists)
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=FINISH_SECONDS)

    assert worker.returncode == 1, output
    handed_back = deliveries().get()
    assert (handed_back.status, handed_back.worker_ids) == (TaskResultStatus.READY, [])
    assert not EventRecord.objects.filter(type=SampleFollowedUp.type_name).exists()
    assert not DeliveryReceipt.objects.exists()

    rescuer = start_worker(sessions, "--batch")
    output, _ = rescuer.communicate(timeout=FINISH_SECONDS)

    assert rescuer.returncode == 0, output
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""  # gone meanwhile


def test_ctrl_c_on_make_run_stops_server_and_worker_and_leaves_nothing_running(
    sessions, worker_bus, tmp_path: Path
):
    worker_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    marker = tmp_path / "started"
    event = SampleHappened(sample_id=6, marker_path=str(marker), sleep_seconds=FINISH_SECONDS)
    bus.publish(event)
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "EVENTS_DELIVER_ON_COMMIT": "off",
        "DEBUG": "on",
    }
    log = tmp_path / "make.log"
    # `-o seed`: the test database is migrated already, and needs no demo data. A session of
    # its own (a terminal of its own): Ctrl-C reaches its foreground process group.
    with log.open("w") as out:
        make = sessions.popen(
            ["make", "-o", "seed", "run", f"PORT={port}", "HOST=127.0.0.1"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # As a terminal's shell would: a suite started in the background (`make test &`)
            # runs with SIGINT ignored, and a shell cannot trap a signal ignored on entry.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    urls = (
        f"API http://127.0.0.1:{port}/api  docs http://127.0.0.1:{port}/api/docs  "
        f"admin http://127.0.0.1:{port}/admin/"
    )
    wait_for(lambda: urls in log.read_text() and marker.exists(), what="for make run")
    assert serving(port)  # the URLs are printed once the server answers
    children = {pid: command_line(pid) for pid in session_members(make.pid)}
    running = " ".join(children.values())
    assert "manage.py runserver" in running and "manage.py db_worker" in running, children

    os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C does
    support.released(marker).touch()  # the delivery in hand finishes after the Ctrl-C
    make.wait(timeout=FINISH_SECONDS)
    output = log.read_text()

    # Every process make run started is gone (not merely out of the session), so nothing
    # re-parented to init survives the test.
    assert session_members(make.pid) == [], output
    assert {pid: name for pid, name in children.items() if command_line(pid) == name} == {}
    assert not serving(port)
    assert not deliveries().filter(status=TaskResultStatus.RUNNING).exists()
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL, output
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1


def test_a_tests_sessions_are_killed_whole_even_in_process_groups_of_their_own(tmp_path):
    # What keeps a failing test from leaving a server behind: the `sessions` fixture's
    # teardown kills every process of the session, here one that `set -m` put in a process
    # group of its own (as make run does) and whose parent is gone.
    started = Sessions()
    pid_file = tmp_path / "pid"
    shell = started.popen(["bash", "-c", f"set -m; sleep 600 & echo $! > {pid_file}; exit 0"])
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip())
    orphan = int(pid_file.read_text())
    shell.wait(timeout=FINISH_SECONDS)
    assert "sleep 600" in command_line(orphan)  # left running, re-parented

    started.close()

    assert command_line(orphan) == ""
    assert session_members(shell.pid) == []


def test_a_worker_whose_queue_ran_dry_lets_the_next_commits_gather_into_one_batch(
    sessions, worker_bus, tmp_path: Path
):
    worker_bus.subscribe(SampleHappened, support.note_batch, background=True)
    runs = tmp_path / "batches"
    worker = start_worker(sessions, extra_env={"EVENTS_WORKER_GATHER_SECONDS": "3"})
    bus.publish(SampleHappened(sample_id=1, marker_path=str(runs)))
    wait_for(runs.exists, what="for the first batch")
    # The worker's queue ran dry with that batch: it waits 3 s before its next claim, while
    # four commits trickle in (autocommit: each publish is one), a quarter second apart:
    # without the wait, its polls (every 0.1 s) would claim each alone.
    for sample_id in range(2, 6):
        bus.publish(SampleHappened(sample_id=sample_id, marker_path=str(runs)))
        time.sleep(0.25)

    wait_for(lambda: runs.read_text().count("5") == 1, what="for the last one to be handled")
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=FINISH_SECONDS)

    assert worker.returncode == 0, output
    assert runs.read_text() == "1\n2,3,4,5\n"  # the four commits' deliveries in one claim
