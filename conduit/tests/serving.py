"""`make serve` as a test fixture: the real production server (gunicorn, DEBUG off) on a free
port against the test database, in a session of its own, killed on the way out (make,
gunicorn and its workers: conduit/tests/processes.py)."""

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings as django_settings

from conduit.tests.processes import Sessions, free_port
from conduit.tests.test_safe_defaults import STRONG_KEY, environment


def wait_until_answering(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"make serve did not answer on {port}:\n{log.read_text()}")


@contextmanager
def make_serve(folder: Path, **variables: str) -> Iterator[int]:
    """Yields the port; `variables` add to or override the production settings below."""
    port = free_port()
    log = folder / "serve.log"
    env = environment(
        DEBUG="off",
        SECRET_KEY=STRONG_KEY,
        EMAIL_URL="dummymail://",
        PORT=str(port),
        WORKERS="1",
        CACHE_URL="locmemcache://",
        EVENTS_DELIVER_ON_COMMIT="off",
        LOG_LEVEL="WARNING",
    )
    with Sessions() as started:
        with log.open("w") as output:
            process = started.popen(
                ["make", "-s", "serve"],
                cwd=django_settings.BASE_DIR,
                env=env | variables,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        wait_until_answering(port, process, log)
        yield port
