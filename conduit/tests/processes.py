"""Processes that tests start: on a free port the OS picks, waited on by condition with a
generous bound, and never left behind (every process of the session the test started is
killed when it ends, pass or fail).

A test starts a process with the `sessions` fixture (conftest.py), `sessions.popen([...])`; a
module's fixture, with `with Sessions() as started:`. Either starts it with
`start_new_session=True`, so it and everything it starts (make's shells, `set -m` process
groups, gunicorn's workers) share one session, whose id is the first process's pid; at the end
`kill_session` finds them all in /proc, even those in process groups of their own or
re-parented to init, and kills them. A test that stops a process itself (a SIGTERM it checks
the answer to) does so as part of what it tests; the cleanup is always this one.
"""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

# Bounds for a machine that runs two suites at once on two cores: a Django process can take
# ten seconds or more to start there; a condition that holds at all holds well within these.
START_SECONDS = 120.0
FINISH_SECONDS = 180.0


def free_port() -> int:
    """A port nobody listens on now, from the OS (bind to 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serving(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for[T](condition: Callable[[], T], timeout: float = START_SECONDS, what: str = "") -> T:
    """Poll `condition` until it is true, and return what it returned; fail after `timeout`
    seconds (`what`: "for the server", in the message)."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting {what}".rstrip())
        time.sleep(0.05)
    return result


def session_members(session_id: int) -> list[int]:
    """The processes still in a session (Linux: /proc/<pid>/stat, field 6), zombies aside."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[3]) == session_id and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def kill_session(session_id: int, timeout: float = 30.0) -> None:
    """SIGKILL every process of the session, until none is left."""
    deadline = time.monotonic() + timeout
    while members := session_members(session_id):
        for pid in members:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise AssertionError(f"processes {members} of session {session_id} survive SIGKILL")
        time.sleep(0.05)


class Sessions:
    """A fixture's record of the sessions a test started, killed at teardown (`close`, or the
    end of a `with` block)."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> "Sessions":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def popen(self, command: list[str], **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(command, start_new_session=True, **kwargs)
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in self.processes:
            kill_session(process.pid)
            if process.poll() is None:
                process.kill()
            with suppress(subprocess.TimeoutExpired, ValueError):
                process.communicate(timeout=30)
