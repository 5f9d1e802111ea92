"""A newcomer's mistakes end in one actionable line, not a traceback, and the make targets keep
their promises: make run's taken port, make serve's unapplied migrations, make help, an old
.venv, and manage.py with a database or a URL it cannot use. Each runs the real command in a
process of its own (the `sessions` fixture leaves none behind)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from conduit.tests.processes import (
    FINISH_SECONDS,
    free_port,
    serving,
    session_members,
    wait_for,
)

BASE_DIR = Path(settings.BASE_DIR)
# What make serve's preflight asks of a production start (DEBUG off).
SERVE_KEY = "a-key-for-this-test-only-long-and-varied-enough-0123456789"
MAKE_ERROR = re.compile(r"make(\[\d+\])?: \*\*\* ")


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without the suite's database and cache, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CACHE_URL", "PYTEST_XDIST_WORKER", "DEBUG")
        and key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")  # `make test`'s own
    }
    return env | extra


def run(sessions, command: list[str], cwd: Path = BASE_DIR, **extra: str):
    """Run to the end; (exit status, stdout, stderr)."""
    process = sessions.popen(
        command,
        cwd=cwd,
        env=environment(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = process.communicate(timeout=FINISH_SECONDS)
    return process.returncode, stdout, stderr


def manage(sessions, *args: str, **extra: str):
    return run(sessions, [sys.executable, "manage.py", *args], **extra)


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def make_lines(stderr: str) -> list[str]:
    """stderr without make's own `make: *** [...] Error N` line (`make[1]: ***` under make)."""
    return [line for line in stderr.splitlines() if line.strip() and not MAKE_ERROR.match(line)]


# manage.py and the configuration


@pytest.mark.parametrize("command", [["migrate"], ["runserver", "--noreload"], ["events_stats"]])
def test_a_database_server_that_cannot_be_reached_is_named_in_one_line_password_hidden(
    sessions, command
):
    port = free_port()
    url = f"postgres://conduit:s3cret-word@127.0.0.1:{port}/conduit"
    if command[0] == "runserver":
        command = [command[0], f"127.0.0.1:{free_port()}", *command[1:]]

    status, _, stderr = manage(sessions, *command, DATABASE_URL=url)

    line = one_line(stderr)
    assert status == 1
    assert line.startswith("error: the database in DATABASE_URL (")
    assert f"postgres://conduit:***@127.0.0.1:{port}/conduit" in line
    assert "Connection refused" in line
    assert "s3cret-word" not in stderr


def test_a_database_that_does_not_exist_is_named_in_one_line(sessions, tmp_path):
    missing = tmp_path / "no-such-folder" / "conduit.sqlite3"

    status, _, stderr = manage(sessions, "migrate", DATABASE_URL=f"sqlite:///{missing}")

    line = one_line(stderr)
    assert status == 1
    assert f"the database in DATABASE_URL (sqlite:///{missing}) cannot be used" in line
    assert "unable to open database file" in line


def test_a_postgresql_database_that_does_not_exist_is_named_in_one_line(sessions, db):
    # On the suite's own server when it runs on PostgreSQL; SQLite has no server to ask.
    from django.db import connection

    if connection.vendor != "postgresql":
        url = f"sqlite:///{BASE_DIR / 'no-such-folder' / 'x.sqlite3'}"
        expected = "unable to open database file"
    else:
        db_settings = connection.settings_dict
        user = db_settings["USER"] or "postgres"
        host, port = db_settings["HOST"] or "127.0.0.1", db_settings["PORT"] or 5432
        url = f"postgres://{user}@{host}:{port}/conduit_no_such_database_{os.getpid()}"
        expected = f'database "conduit_no_such_database_{os.getpid()}" does not exist'

    status, _, stderr = manage(sessions, "runserver", "--noreload", DATABASE_URL=url)

    line = one_line(stderr)
    assert status == 1
    assert "DATABASE_URL" in line and expected in line


@pytest.mark.parametrize(
    ("variable", "value", "scheme"),
    [
        ("DATABASE_URL", "postgresql+psycopg://u:s3cret-word@h/conduit", "postgresql+psycopg"),
        ("DATABASE_URL", "localhost/conduit", "(none)"),
        ("CACHE_URL", "rediss+cluster://h:6379/0", "rediss+cluster"),
    ],
)
@pytest.mark.parametrize("command", ["check", "migrate"])
def test_a_url_whose_scheme_is_not_understood_names_its_variable(
    sessions, variable, value, scheme, command
):
    status, _, stderr = manage(sessions, command, **{variable: value})

    line = one_line(stderr)
    assert status == 1
    assert line.startswith(f"error: {variable}: the scheme {scheme!r} is not understood; use ")
    assert "s3cret-word" not in stderr


# make


def test_make_help_lists_make_migrate(sessions):
    status, stdout, _ = run(sessions, ["make", "-s", "help"])

    assert status == 0
    assert any(line.startswith("make migrate") for line in stdout.splitlines()), stdout


def test_make_serve_refuses_unapplied_migrations_in_one_line_naming_make_migrate(
    sessions, tmp_path
):
    empty = tmp_path / "empty.sqlite3"
    port = free_port()

    status, _, stderr = run(
        sessions,
        ["make", "-s", "serve", f"PORT={port}"],
        DATABASE_URL=f"sqlite:///{empty}",
        SECRET_KEY=SERVE_KEY,
        EMAIL_URL="consolemail://",
    )

    (line,) = make_lines(stderr)
    assert status != 0
    assert "migrations not yet applied" in line and "make migrate" in line
    assert "MIGRATE=1" in line
    assert not serving(port)


def test_make_serve_with_migrate_1_applies_them_and_serves(sessions, tmp_path):
    empty = tmp_path / "empty.sqlite3"
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        serve = sessions.popen(
            ["make", "-s", "serve", f"PORT={port}", "WORKERS=1"],
            cwd=BASE_DIR,
            env=environment(
                DATABASE_URL=f"sqlite:///{empty}",
                SECRET_KEY=SERVE_KEY,
                EMAIL_URL="consolemail://",
                MIGRATE="1",
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def answers() -> bool:
        assert serve.poll() is None, log.read_text()
        return serving(port)

    wait_for(answers, what="for make serve")
    from urllib.request import urlopen

    with urlopen(f"http://127.0.0.1:{port}/api/tags", timeout=30) as response:
        assert response.status == 200
        assert response.read() == b'{"tags":[]}'


def test_make_run_on_a_taken_port_says_so_in_one_line_and_starts_nothing(sessions, tmp_path):
    import socket

    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        status, _, stderr = run(
            sessions,
            ["make", "-s", "-o", "seed", "run", f"PORT={port}", "HOST=127.0.0.1"],
            DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        )
    finally:
        taken.close()

    (line,) = make_lines(stderr)
    assert status != 0
    assert line == (
        f"error: port {port} on 127.0.0.1 is taken (another server runs there); "
        f"stop it or choose another: make run PORT={port + 1}"
    )


def test_make_run_whose_server_cannot_start_stops_the_worker_and_exits_non_zero(sessions, tmp_path):
    # An address this host does not have: the port check passes, runserver fails at bind
    # (as it would if another server took the port in between); the worker must not stay.
    port = free_port()
    make = sessions.popen(
        ["make", "-s", "-o", "seed", "run", f"PORT={port}", "HOST=192.0.2.1"],
        cwd=BASE_DIR,
        env=environment(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = make.communicate(timeout=FINISH_SECONDS)

    assert make.returncode != 0
    assert "That IP address can't be assigned to." in stderr
    assert make_lines(stderr)[-1] == (
        f"error: the server did not start on 192.0.2.1:{port} (its reason is above); "
        "the worker is stopped"
    )
    assert session_members(make.pid) == []  # the worker is gone with make


def test_a_venv_made_by_an_older_python_is_named_with_the_way_out(sessions, tmp_path):
    # A copy of the Makefile beside a .venv whose python says it is 3.11.
    shutil.copy(BASE_DIR / "Makefile", tmp_path)
    shutil.copy(BASE_DIR / "requirements.txt", tmp_path)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(
        "#!/bin/sh\n"
        'case "$1" in -V) echo "Python 3.11.7";; -c) exit 1;;\n'
        '*) echo "pip: errors" >&2; exit 2;; esac\n'
    )
    python.chmod(0o755)

    status, _, stderr = run(sessions, ["make", "-s", "install"], cwd=tmp_path)

    (line,) = make_lines(stderr)
    assert status != 0
    assert line == (
        "error: .venv was made by Python 3.11.7; Conduit needs Python 3.12 or newer: "
        "rm -rf .venv && make install"
    )
    assert "pip" not in stderr
