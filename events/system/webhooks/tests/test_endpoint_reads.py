"""A write pays no query for the webhook endpoints: each process remembers them until an
endpoint changes, in whatever process (selectors.receiving_endpoints, conduit.readcache), and
the very next write after a change sees it."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import bus
from events.core.unit_of_work import unit_of_work
from events.system.webhooks import services
from events.system.webhooks.models import Delivery, Endpoint
from events.tests.support import SampleHappened
from events.tests.test_worker_process import database_url


@pytest.fixture
def remembered(settings, private_allowed):
    """The read cache on (the suite turns it off), its stamps in the shared cache."""
    settings.READ_CACHE_SECONDS = 60
    return settings


def write(sample_id: int) -> SampleHappened:
    event = SampleHappened(sample_id=sample_id)
    with unit_of_work():
        bus.publish(event)
    return event


def endpoint_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "webhooks_endpoint" in q["sql"]]


@pytest.mark.django_db
def test_a_write_with_no_endpoint_reads_none(remembered):
    write(0)  # the first read of the process
    with CaptureQueriesContext(connection) as queries:
        write(1)
    assert queries.captured_queries, "the write ran no statement at all"
    assert endpoint_queries(queries) == []
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_a_write_records_deliveries_without_reading_the_endpoints(remembered):
    endpoint, _ = services.endpoint_create(url="http://127.0.0.1:9/w", event_types=["*"])
    write(0)
    with CaptureQueriesContext(connection) as queries:
        event = write(1)
    assert endpoint_queries(queries) == []
    assert Delivery.objects.filter(event_id=event.event_id, endpoint=endpoint).count() == 1


@pytest.mark.django_db
def test_each_change_is_seen_by_the_next_write(remembered):
    endpoint, _ = services.endpoint_create(url="http://127.0.0.1:9/w", event_types=["*"])
    assert Delivery.objects.filter(event_id=write(0).event_id).count() == 1
    services.endpoint_update(endpoint, event_types=["users.UserRegistered"])
    assert not Delivery.objects.filter(event_id=write(1).event_id).exists()
    services.endpoint_update(endpoint, event_types=["*"])
    assert Delivery.objects.filter(event_id=write(2).event_id).exists()
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since="2000-01-01T00:00Z")
    assert services.endpoint_pause(endpoint.pk)
    assert not Delivery.objects.filter(event_id=write(3).event_id).exists()
    services.endpoint_resume(Endpoint.objects.get(pk=endpoint.pk))
    assert Delivery.objects.filter(event_id=write(4).event_id).exists()
    services.endpoint_delete(endpoint)
    assert not Delivery.objects.filter(event_id=write(5).event_id).exists()


def manage(stamps: str, *arguments: str) -> str:
    """manage.py in a process of its own, on the test database and the same stamps."""
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "READ_CACHE_STAMPS": stamps,
        "WEBHOOKS_ALLOW_PRIVATE": "on",
        "DEBUG": "on",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_a_change_made_in_another_process_is_seen_by_the_next_write(remembered, tmp_path):
    remembered.READ_CACHE_STAMPS = str(tmp_path / "stamps")  # a file both processes map
    assert not Delivery.objects.filter(event_id=write(0).event_id).exists()  # remembered: none

    added = json.loads(
        manage(
            remembered.READ_CACHE_STAMPS,
            "webhooks_add",
            "http://127.0.0.1:9/w",
            "--events",
            "*",
            "--json",
        )
    )
    event = write(1)
    assert list(
        Delivery.objects.filter(event_id=event.event_id).values_list("endpoint_id", flat=True)
    ) == [added["id"]]

    manage(
        remembered.READ_CACHE_STAMPS,
        "shell",
        "-c",
        "from events.system.webhooks import services; "
        "from events.system.webhooks.models import Endpoint; "
        f"services.endpoint_update(Endpoint.objects.get(pk={added['id']}), active=False)",
    )
    assert not Delivery.objects.filter(event_id=write(2).event_id).exists()
