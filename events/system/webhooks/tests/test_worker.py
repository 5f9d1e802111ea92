"""The real `manage.py db_worker` sends webhooks: its sender runs beside the handlers, and a
SIGTERM lets the requests in flight end before the process exits 0."""

import json
import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings

from conduit.tests.processes import wait_for
from events import bus
from events.core.unit_of_work import unit_of_work
from events.system.webhooks import services
from events.system.webhooks.models import Attempt, Delivery
from events.system.webhooks.tests.support import documented_verifier
from events.tests.test_worker_process import database_url
from users.events import UserRegistered

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_process_delivers_signed_webhooks(sessions, private_allowed, receiver, tmp_path):
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
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = sessions.popen(
            [sys.executable, *command, "--no-startup-delay", "--no-reload"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: Delivery.objects.filter(status="delivered").count() == 20,
            timeout=60,
            what="for the 20 deliveries",
        )
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    except Exception:
        print(log.read_text())  # the worker's side of the failure
        raise
    output = log.read_text()

    assert worker.returncode == 0, output
    got = receiver.at("/w")
    assert sorted(json.loads(r.body)["id"] for r in got) == sorted(str(e.event_id) for e in events)
    verify = documented_verifier()
    assert all(verify(secret, r.headers, r.body) for r in got)
    assert Attempt.objects.filter(endpoint=endpoint, ok=True).count() == 20
