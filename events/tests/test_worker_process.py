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


def start_worker(*args: str, lease_seconds: float = 300) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "EVENTS_LEASE_SECONDS": str(lease_seconds),
        "EVENTS_DELIVER_ON_COMMIT": "off",
        "DEBUG": "on",
    }
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
