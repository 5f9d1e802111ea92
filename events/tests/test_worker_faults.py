"""The real `manage.py db_worker` survives its database going away: the connection ended by the
server (`pg_terminate_backend`: what a restart, a failover or a pooler's recycle does) while
idle, while claiming and while a handler runs, and the database unreachable for a while (a TCP
proxy between the worker and PostgreSQL, cut and restored; the shared PostgreSQL stays up).
Each time the worker logs it, reconnects with a bounded backoff and goes on: every delivery
completes, once, and the process never exits.

PostgreSQL only (`pytest.mark.postgresql`: SQLite has no server to end a connection): these
tests run in the PostgreSQL pass of `.ci/run` (`DATABASE_URL=postgres://... make test`) and
are deselected on SQLite. `WORKER_OUTAGE_SECONDS` sets the outage's length (8 s in the suite;
`make test-outage` holds it for three minutes)."""

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from conduit.tests.processes import Sessions, wait_for
from events import bus
from events.models import DeliveryReceipt, EventRecord
from events.outbox import deliveries
from events.tests import support
from events.tests.support import SampleFollowedUp, SampleHappened
from events.tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]

OUTAGE_SECONDS = float(os.environ.get("WORKER_OUTAGE_SECONDS", "8"))
TASKS_TABLE = DBTaskResult._meta.db_table


class Worker:
    """`manage.py db_worker` in a session of its own (killed after the test), its log in a
    file, its connections named."""

    def __init__(
        self, sessions: Sessions, tmp_path: Path, *, port: int | None = None, interval: float = 0.1
    ) -> None:
        self.application_name = f"fault-worker-{uuid.uuid4().hex[:8]}"
        self.log_path = tmp_path / f"{self.application_name}.log"
        db = connection.settings_dict
        host = db["HOST"] or "127.0.0.1"
        url = f"postgres://{db['USER'] or 'postgres'}@{host}:{port or db['PORT'] or 5432}"
        env = os.environ | {
            "DATABASE_URL": f"{url}/{db['NAME']}?application_name={self.application_name}",
            "CONN_MAX_AGE": "600",  # one connection for the whole run, as in production
            "CONN_HEALTH_CHECKS": "off",  # the worker's own recovery, not Django's check
            "EVENTS_DELIVER_ON_COMMIT": "off",
            "WORKER_PROCESSES": "1",  # one worker process: the faults of its own loop
            "EVENTS_RECONNECT_BASE_SECONDS": "0.2",
            "EVENTS_RECONNECT_MAX_SECONDS": "1",
            "DEBUG": "on",
        }
        command = [sys.executable, "manage.py", "db_worker", "--queue-name", "*"]
        with self.log_path.open("w") as log:
            self.process = sessions.popen(
                [*command, "--interval", str(interval), "--no-startup-delay", "--no-reload"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def backends(self, *, state: str | None = None, query_like: str = "%") -> list[int]:
        """The worker's server processes (pg_stat_activity), optionally in one state."""
        with admin_connection() as admin:
            rows = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
                " AND (%s::text IS NULL OR state = %s) AND query LIKE %s",
                (self.application_name, state, state, query_like),
            ).fetchall()
        return [pid for (pid,) in rows]


@pytest.fixture
def worker_bus(fresh_bus, settings):
    settings.EVENTS_DELIVER_ON_COMMIT = False
    fresh_bus.subscribe(SampleHappened, support.follow_up_after_a_nap, background=True)
    return fresh_bus


@pytest.fixture
def start_worker(sessions, tmp_path: Path) -> Callable[..., Worker]:
    """`start_worker(**options)`: a Worker, killed with its session after the test."""

    def start(**options) -> Worker:
        return Worker(sessions, tmp_path, **options)

    return start


def admin_connection() -> psycopg.Connection:
    """A connection of the test's own to its database, outside Django's (which the test's
    data goes through); conduit/tests/test_connection_faults.py's too."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        dbname=db["NAME"],
        autocommit=True,
    )


def terminate(pids: list[int]) -> None:
    with admin_connection() as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def publish(tmp_path: Path, sample_id: int, nap: float = 0.0) -> SampleHappened:
    """An event whose handler publishes a follow-up, after a nap on its first run if asked."""
    marker = tmp_path / f"nap-{sample_id}" if nap else tmp_path / f"started-{sample_id}"
    if not nap:
        marker.write_text("no nap")
    event = SampleHappened(sample_id=sample_id, marker_path=str(marker), sleep_seconds=nap)
    bus.publish(event)
    return event


def succeeded() -> int:
    return deliveries().filter(status=TaskResultStatus.SUCCESSFUL).count()


def assert_each_delivered_once(events: list[SampleHappened], worker: Worker) -> None:
    """Every delivery done, none RUNNING or waiting; one follow-up and one receipt each."""
    assert worker.process.poll() is None, worker.log
    rows = list(deliveries())
    assert {row.status for row in rows} == {TaskResultStatus.SUCCESSFUL}, worker.log
    assert len(rows) == len(events)
    follow_ups = sorted(
        record.payload["sample_id"]
        for record in EventRecord.objects.filter(type=SampleFollowedUp.type_name)
    )
    assert follow_ups == sorted(event.sample_id for event in events), worker.log
    for event in events:
        assert DeliveryReceipt.objects.filter(event_id=event.event_id).count() == 1


def test_connection_ended_while_idle(worker_bus, start_worker, tmp_path: Path):
    worker = start_worker(interval=1.0)
    first = publish(tmp_path, 1)
    wait_for(lambda: succeeded() == 1, what="for the first delivery")
    wait_for(lambda: worker.backends(state="idle"), what="for the worker's idle connection")

    terminate(worker.backends())
    second = publish(tmp_path, 2)
    wait_for(lambda: succeeded() == 2, what="for the delivery after the reconnect")

    assert "Lost the database connection" in worker.log
    assert "Reconnected to the database" in worker.log
    assert_each_delivered_once([first, second], worker)


def test_connection_ended_while_claiming(worker_bus, start_worker, tmp_path: Path):
    """The table is locked, so the worker's claim waits on it; its connection ends there."""
    worker = start_worker()
    wait_for(lambda: worker.backends(), what="for the worker's connection")
    event = publish(tmp_path, 3)
    deadline = time.monotonic() + 180
    while True:
        with admin_connection() as locker, locker.transaction():
            locker.execute(f"LOCK TABLE {TASKS_TABLE} IN ACCESS EXCLUSIVE MODE")
            # Whichever of the loop's statements on the queue comes first now waits on the lock:
            # the lease sweep (an UPDATE) or the claim (its one SELECT, its text cut before SKIP
            # LOCKED). Matched by the table's name: the process has other connections (the
            # webhook sender's) that may be active meanwhile.
            with contextlib.suppress(AssertionError):
                wait_for(
                    lambda: worker.backends(state="active", query_like=f'%"{TASKS_TABLE}"%'),
                    timeout=15,
                    what="for a statement blocked on the lock",
                )
            claiming = worker.backends(state="active", query_like=f'SELECT "{TASKS_TABLE}"%')
            if claiming:
                terminate(claiming)
                break
        # It was the lease sweep that waited: let it through and catch the claim next time.
        assert time.monotonic() < deadline, worker.log
    # The worker may have delivered the event before the lock (a NOTIFY wakes it at once);
    # either way its blocked claim's connection ended, and it must say so and go on.
    wait_for(lambda: "Lost the database connection" in worker.log, what="for the worker's notice")
    wait_for(lambda: "Reconnected to the database" in worker.log, what="for the reconnect")
    wait_for(lambda: succeeded() == 1, what="for the delivery")
    assert_each_delivered_once([event], worker)


def test_connection_ended_while_a_handler_runs(worker_bus, start_worker, tmp_path: Path):
    """The handler's transaction dies with its connection; the delivery goes back to the
    queue without counting as an attempt and runs again, its effect committed once."""
    event = publish(tmp_path, 4, nap=3)
    worker = start_worker()
    wait_for(Path(event.marker_path).exists, what="for the handler to start")
    terminate(worker.backends())
    wait_for(lambda: succeeded() == 1, what="for the delivery run again")

    assert "handed back to the queue" in worker.log
    assert len(deliveries().get().worker_ids) == 1, "the lost run counts as no attempt"
    assert_each_delivered_once([event], worker)


def test_database_unreachable_for_a_while_is_waited_for(worker_bus, start_worker, tmp_path: Path):
    """Through a proxy the test cuts: the connections end (one in a handler's transaction)
    and new ones fail for WORKER_OUTAGE_SECONDS; then the deliveries made meanwhile and the
    one interrupted complete, once each."""
    db = connection.settings_dict
    with TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))) as proxy:
        worker = start_worker(port=proxy.port)
        before = publish(tmp_path, 5)
        wait_for(lambda: succeeded() == 1, what="for a delivery through the proxy")
        in_hand = publish(tmp_path, 6, nap=5)  # still asleep when the proxy is cut
        wait_for(Path(in_hand.marker_path).exists, what="for the handler to start")

        proxy.cut()
        during = [publish(tmp_path, 7), publish(tmp_path, 8)]
        down_until = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < down_until:
            assert worker.process.poll() is None, worker.log
            time.sleep(0.2)
        assert succeeded() == 1, "nothing ran while the database was away"
        assert "The database is unreachable" in worker.log
        assert " ERROR events.worker The database is unreachable" in worker.log, "loudly"
        proxy.restore()

        wait_for(lambda: succeeded() == 4, what="for the deliveries after the outage")
        assert "Reconnected to the database" in worker.log
        assert_each_delivered_once([before, in_hand, *during], worker)
        assert len(deliveries().get(args_kwargs__args__0=str(in_hand.event_id)).worker_ids) == 1
