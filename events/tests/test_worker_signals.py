"""SIGTERM to a process group, as systemd, docker and `kill -TERM -PGID` send it, with the real
`make worker` and `make run`: the worker gets the signal twice at once (from the group, and
from make, which passes it on to its child) and takes that as one request: it finishes the
delivery in hand, leaves nothing running or RUNNING, and exits 0. A second SIGTERM after
a moment (worker.REPEATED_SIGNAL_SECONDS) interrupts the delivery and hands it back."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.tasks import TaskResultStatus

from conduit.tests.processes import free_port, serving, session_members, wait_for
from events import bus
from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliveries
from events.tests import support
from events.tests.support import SampleFollowedUp, SampleHappened
from events.tests.test_worker_process import database_url
from events.worker import REPEATED_SIGNAL_SECONDS

pytestmark = pytest.mark.django_db(transaction=True)

NAP_HANDLER = "events.tests.support.follow_up_after_a_nap"


@pytest.fixture
def nap(fresh_bus, settings, tmp_path: Path):
    """Publish an event whose delivery naps `seconds` on its first run (a marker file says
    when it started)."""
    settings.EVENTS_DELIVER_ON_COMMIT = False
    fresh_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)

    def publish(seconds: float) -> SampleHappened:
        event = SampleHappened(
            sample_id=1, marker_path=str(tmp_path / "started"), sleep_seconds=seconds
        )
        bus.publish(event)
        return event

    return publish


def worker_pid(session_id: int) -> int:
    """The db_worker process of make's session."""
    for pid in session_members(session_id):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"db_worker" in command and not command[0].endswith(b"sh"):
            return int(pid)
    raise AssertionError("no worker in the session")


def start_make(sessions, target: str, tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    """`make <target>` in a session (and process group) of its own, its output in a file."""
    log_path = tmp_path / f"make-{target}.log"
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "EVENTS_DELIVER_ON_COMMIT": "off",
        "EVENTS_SHUTDOWN_GRACE_SECONDS": "30",
        "DEBUG": "on",
    }
    with log_path.open("w") as log:
        make = sessions.popen(
            # `-o`: the virtualenv is there, the test database migrated and without demo data.
            ["make", "-o", "install", "-o", "seed", target, *extra],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return make, log_path


def wait_until_gone(make: subprocess.Popen, log_path: Path) -> str:
    """make has exited and nothing of its session is left; its output. (Whatever is left when
    it fails, the `sessions` fixture kills.)"""
    make.wait(timeout=90)
    wait_for(lambda: session_members(make.pid) == [], timeout=60, what="for make's session")
    return log_path.read_text()


def test_sigterm_to_make_workers_group_finishes_the_delivery_and_exits_0(
    sessions, nap, tmp_path: Path
):
    event = nap(seconds=3)
    make, log_path = start_make(sessions, "worker", tmp_path)
    wait_for(lambda: (tmp_path / "started").exists(), timeout=90)
    worker = worker_pid(make.pid)
    os.killpg(make.pid, signal.SIGTERM)
    # make's copy of the signal, which the kernel often merges with the group's when both
    # arrive before the worker's handler runs: sent again a little later, as a busy make
    # would, so that it always counts here.
    time.sleep(0.25)
    os.kill(worker, signal.SIGTERM)
    output = wait_until_gone(make, log_path)

    assert "Event worker stopped: exit status 0." in output
    assert "interrupting" not in output
    assert not deliveries().filter(status=TaskResultStatus.RUNNING).exists()
    delivery = deliveries().get()
    assert (delivery.status, len(delivery.worker_ids)) == (TaskResultStatus.SUCCESSFUL, 1)
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1
    assert DeliveryReceipt.objects.filter(event_id=event.event_id, handler=NAP_HANDLER).exists()


def test_a_second_sigterm_after_a_moment_hands_the_delivery_back(sessions, nap, tmp_path: Path):
    nap(seconds=120)
    make, log_path = start_make(sessions, "worker", tmp_path)
    wait_for(lambda: (tmp_path / "started").exists(), timeout=90)
    os.killpg(make.pid, signal.SIGTERM)
    time.sleep(REPEATED_SIGNAL_SECONDS + 1)
    os.killpg(make.pid, signal.SIGTERM)
    output = wait_until_gone(make, log_path)

    assert "Event worker stopped: exit status 1" in output
    handed_back = deliveries().get()
    assert (handed_back.status, handed_back.worker_ids) == (TaskResultStatus.READY, [])
    assert not EventRecord.objects.filter(type=SampleFollowedUp.type_name).exists()
    assert not DeliveryReceipt.objects.exists()


def test_sigterm_to_make_runs_group_stops_server_and_worker_after_the_delivery(
    sessions, nap, tmp_path: Path
):
    nap(seconds=3)
    port = free_port()
    make, log_path = start_make(sessions, "run", tmp_path, f"PORT={port}", "HOST=127.0.0.1")
    wait_for(lambda: serving(port) and (tmp_path / "started").exists(), timeout=90)
    os.killpg(make.pid, signal.SIGTERM)
    output = wait_until_gone(make, log_path)

    assert not serving(port)
    assert "Event worker stopped: exit status 0." in output
    assert "interrupting" not in output
    assert not deliveries().filter(status=TaskResultStatus.RUNNING).exists()
    assert deliveries().get().status == TaskResultStatus.SUCCESSFUL
    assert EventRecord.objects.filter(type=SampleFollowedUp.type_name).count() == 1
