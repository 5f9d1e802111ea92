"""The real `manage.py db_worker` sends webhooks: its sender runs beside the handlers, and a
SIGTERM lets the requests in flight end before the process exits 0."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from events import bus
from events.core.unit_of_work import unit_of_work
from events.system.webhooks import services
from events.system.webhooks.models import Attempt, Delivery
from events.system.webhooks.tests.support import documented_verifier
from events.tests.test_worker_process import database_url
from users.events import UserRegistered

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_the_worker_process_delivers_signed_webhooks(private_allowed, receiver):
    endpoint, secret = services.endpoint_create(url=receiver.url("/w"), event_types=["*"])
    Delivery.objects.all().delete()
    with unit_of_work():
        events = [UserRegistered(user_id=i, username=f"u{i}", email="") for i in range(20)]
        for event in events:
            bus.publish(event)
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "WEBHOOKS_ALLOW_PRIVATE": "on",
        "EVENTS_DELIVER_ON_COMMIT": "off",
        "WORKER_PROCESSES": "1",
        "DEBUG": "on",
    }
    command = ["manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1"]
    worker = subprocess.Popen(
        [sys.executable, *command, "--no-startup-delay", "--no-reload"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = ""
    try:
        wait_for(lambda: Delivery.objects.filter(status="delivered").count() == 20)
        os.killpg(worker.pid, signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            output, _ = worker.communicate()
            print(output)

    assert worker.returncode == 0, output
    got = receiver.at("/w")
    assert sorted(json.loads(r.body)["id"] for r in got) == sorted(str(e.event_id) for e in events)
    verify = documented_verifier()
    assert all(verify(secret, r.headers, r.body) for r in got)
    assert Attempt.objects.filter(endpoint=endpoint, ok=True).count() == 20
