"""The deploy recipe, run as a host would run it: each Procfile line as a real process.

The release line migrates a database of its own (PostgreSQL in the suite's PostgreSQL pass, a
SQLite file otherwise) and runs the deployment checks; then the web and the worker lines
serve it with production settings (DEBUG off, JSON logs, metrics across processes). One
request's id is followed from the web's access line into the worker's delivery line, /ready
reports the worker and then its absence, and one scrape of /metrics shows the web's HTTP
metrics beside the worker's handler runs. The systemd units and the alert rules are checked
by the tools that read them.
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection

from conduit.tests.processes import Sessions, free_port, wait_for

ROOT = Path(django_settings.BASE_DIR)
METRICS_TOKEN = "deploy-test-metrics-token"
REQUEST_ID = "deploy-test-request-1"


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line the process wrote must be one JSON object."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"{path.name} wrote a line that is not JSON: {line!r}") from None
    return parsed


@pytest.fixture
def database_url(django_db_blocker) -> Iterator[str]:
    """A database of this test's own, empty: the release line must build it."""
    with django_db_blocker.unblock():
        db = connection.settings_dict
        vendor = connection.vendor
    if vendor != "postgresql":
        path = Path(db["TEST"]["NAME"] or db["NAME"]).with_name(f"deploy-{os.getpid()}.sqlite3")
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()
        yield f"sqlite:///{path}"
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()
        return
    name = f"{db['NAME']}_deploy"
    user = db["USER"] or "postgres"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    server = f"postgresql://{user}@{host}:{port}/postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{user}@{host}:{port}/{name}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class SmtpSink(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server to accept mail (production needs a real backend)."""

    received: list[bytes] = []

    def handle(self) -> None:
        self.wfile.write(b"220 sink\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                message = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                self.received.append(message)
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            elif verb == b"EHLO":
                self.wfile.write(b"250 sink\r\n")
                continue
            self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSink)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class Host:
    """The processes of one host, each in a session (and process group) of its own; whatever
    is left of them the `sessions` fixture kills after the test."""

    def __init__(self, sessions: Sessions, tmp_path: Path, env: dict[str, str]) -> None:
        self.sessions = sessions
        self.tmp_path = tmp_path
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def start(self, name: str, command: str) -> subprocess.Popen:
        with self.log(name).open("w") as out:
            process = self.sessions.popen(
                ["bash", "-c", command],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process

    def stop(self, name: str, *, timeout: float = 60) -> int:
        """SIGTERM to the process's group, as a service manager sends it; its exit status."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{name} did not stop within {timeout}s of SIGTERM") from None


@pytest.fixture
def host(tmp_path, database_url, smtp_port, sessions) -> Host:
    """The host's environment, on the test's own database; its processes are killed (the
    `sessions` fixture) before that database is dropped."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DATABASE_URL": database_url,
        "DEBUG": "off",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
        "EVENTS_DELIVER_ON_COMMIT": "off",
        "EVENTS_SHUTDOWN_GRACE_SECONDS": "5",
        "WORKER_HEARTBEAT_SECONDS": "1",
        "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
    }
    for name in ("LOG_FORMAT", "CACHE_URL"):
        env.pop(name, None)  # the production defaults: JSON logs, the file cache
    env["CACHE_URL"] = f"filecache://{tmp_path / 'cache'}"
    return Host(sessions, tmp_path, env)


def call(port: int, method: str, path: str, body: Any = None, **headers: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body) if body is not None else None
        if payload:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, raw
    finally:
        conn.close()


def answers(port: int, path: str) -> int | None:
    try:
        return call(port, "GET", path)[0]
    except OSError:
        return None


def test_the_procfile_runs_a_host(host):
    lines = procfile()
    assert set(lines) == {"release", "web", "worker"}
    port = int(host.env["PORT"])

    release = host.start("release", lines["release"])
    assert release.wait(timeout=300) == 0, host.log("release").read_text()

    web = host.start("web", lines["web"])
    wait_for(lambda: answers(port, "/health") == 200, timeout=120, what="for the web's /health")
    status, body = call(port, "GET", "/ready")
    assert status == 503
    assert json.loads(body)["checks"]["worker"]["ok"] is False

    host.start("worker", lines["worker"])
    wait_for(lambda: answers(port, "/ready") == 200, timeout=120, what="for /ready with the worker")
    status, body = call(port, "GET", "/ready")
    report = json.loads(body)
    assert report["status"] == "ok"
    assert all(check["ok"] for check in report["checks"].values())

    user = {"user": {"username": "deployed", "email": "deployed@example.com",
                     "password": "a long enough passphrase 7"}}  # fmt: skip
    status, body = call(port, "POST", "/api/users", user, **{"X-Request-ID": REQUEST_ID})
    assert status == 201, body

    # The request, and the background work it caused, under one request id.
    def delivered() -> list[dict[str, Any]]:
        return [
            line
            for line in json_lines(host.log("worker"))
            if line.get("logger") == "events.delivery" and line.get("request_id") == REQUEST_ID
        ]

    deliveries = wait_for(delivered, timeout=120, what="for the worker's delivery lines")
    for line in deliveries:
        assert line["outcome"] == "ok", line
        assert line["event_type"] and line["handler"] and line["event_id"]
        assert line["attempt"] == 1
        assert line["duration_ms"] >= 0
    access = [
        line
        for line in json_lines(host.log("web"))
        if line.get("logger") == "conduit.access" and line.get("request_id") == REQUEST_ID
    ]
    assert len(access) == 1
    assert access[0]["method"] == "POST"
    assert access[0]["path"] == "/api/users"
    assert access[0]["status"] == 201
    assert "password" not in json.dumps(access[0])

    # One scrape: the web's HTTP metrics and the worker's runs, through the shared folder.
    def scraped() -> str | None:
        status, body = call(port, "GET", "/metrics", Authorization=f"Bearer {METRICS_TOKEN}")
        assert status == 200
        text = body.decode()
        worker_ran = 'mode="background",outcome="ok"' in text
        return text if worker_ran and "conduit_http_requests_total{" in text else None

    text = wait_for(scraped, timeout=60, what="for a scrape with the worker's runs")
    assert 'conduit_http_requests_total{method="POST",route="api/users",status="201"}' in text
    assert "conduit_event_deliveries_claimed_total" in text
    assert "conduit_event_backlog_age_seconds" in text
    assert "conduit_worker_last_seen_seconds" in text
    assert call(port, "GET", "/metrics")[0] == 403  # no token, no staff session

    # The worker stops on SIGTERM with status 0, and /ready says so.
    assert host.stop("worker") == 0, host.log("worker").read_text()
    status, body = call(port, "GET", "/ready")
    assert status == 503
    assert {name for name, c in json.loads(body)["checks"].items() if not c["ok"]} == {"worker"}

    # Restarting the web keeps the worker's counters in the shared folder.
    assert host.stop("web") == 0, host.log("web").read_text()
    host.start("web-again", lines["web"])
    wait_for(lambda: answers(port, "/health") == 200, timeout=120, what="for the restarted web")
    status, body = call(port, "GET", "/metrics", Authorization=f"Bearer {METRICS_TOKEN}")
    assert 'mode="background",outcome="ok"' in body.decode()
    assert web.poll() is not None


def systemd_units(tmp_path: Path) -> list[Path]:
    """The units as a host would install them: the checkout where they say it is."""
    env_file = tmp_path / "env"
    env_file.write_text("DEBUG=off\n")
    units = []
    for unit in sorted((ROOT / "deploy" / "systemd").glob("*.service")):
        text = unit.read_text().replace("/srv/conduit", str(ROOT))
        installed = tmp_path / unit.name
        installed.write_text(text.replace("/etc/conduit/env", str(env_file)))
        units.append(installed)
    return units


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_the_systemd_units_verify(tmp_path):
    units = systemd_units(tmp_path)
    assert {unit.name for unit in units} == {
        "conduit-release.service",
        "conduit-web.service",
        "conduit-worker.service",
    }
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == ""
    for unit in units:
        text = unit.read_text()
        if "Type=oneshot" not in text:
            assert "Restart=always" in text and "KillSignal=SIGTERM" in text
            # Longer than the worker's and gunicorn's 25 s grace.
            assert "TimeoutStopSec=40" in text


@pytest.mark.skipif(not shutil.which("promtool"), reason="needs promtool (Debian's prometheus)")
def test_the_alert_rules_load_in_prometheus():
    rules = ROOT / "deploy" / "prometheus" / "alerts.yml"
    result = subprocess.run(
        ["promtool", "check", "rules", str(rules)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout
    tests = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
    result = subprocess.run(
        ["promtool", "test", "rules", str(tests)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
