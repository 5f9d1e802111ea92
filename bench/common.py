"""Shared by bench/loadtest.py and bench/scale.py: the database, the environment of the server,
the production server itself, and in-process probes (queries per request, SQL to EXPLAIN)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
TMP = RESULTS / "tmp"  # git-ignored: SQLite files and server logs
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_EMAIL, BENCH_PASSWORD = "bench0@example.com", "password"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
        return True
    except Exception:
        return False


def postgres_admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def database_url(name: str, *, recreate: bool) -> str:
    """$DATABASE_URL when set (used as is); else PostgreSQL database `name` on 127.0.0.1 as
    user postgres (dropped and created again when `recreate`); else a SQLite file."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if postgres_reachable():
        if recreate:
            postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        try:
            postgres_admin(f'CREATE DATABASE "{name}"')
        except Exception as exc:
            if "already exists" not in str(exc):
                raise
        return f"{PG_SERVER}/{name}"
    log("PostgreSQL is not reachable on 127.0.0.1:5432; falling back to SQLite.")
    TMP.mkdir(parents=True, exist_ok=True)
    path = TMP / f"{name}.sqlite3"
    if recreate:
        for stale in TMP.glob(f"{name}.sqlite3*"):
            stale.unlink()
    return f"sqlite:///{path}"


def vendor_of(url: str) -> str:
    return "postgresql" if url.startswith(("postgres", "pgsql")) else url.split(":", 1)[0]


def server_env(url: str) -> dict[str, str]:
    """The production settings the server runs with, shared by every step."""
    return os.environ | {
        "DATABASE_URL": url,
        "DEBUG": "off",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "EMAIL_URL": "dummymail://",  # a production server needs one; the bench sends none
        "CONN_MAX_AGE": "600",  # persistent connections
        "BENCH_FLOOR_ENABLED": "on",
        "METRICS_ENABLED": "on",  # as in production; only the /metrics view depends on it
        "EVENTS_DELIVER_ON_COMMIT": "off",  # deliveries are rows for the worker, as in production
        "RATE_LIMITS": "off",  # thousands of requests from one address and account
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "conduit.settings",
    }


def manage(env: dict[str, str], *args: str) -> float:
    """Run `manage.py args`; returns the wall time in seconds."""
    started = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("error: wrk is not installed; run `bash bench/run.sh` or `apt-get install wrk`.")
    return wrk


def free_port() -> int:
    """`BENCH_PORT` when set (a port range allotted on a shared machine), else any free one."""
    if os.environ.get("BENCH_PORT"):
        return int(os.environ["BENCH_PORT"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class WorkerConfig:
    worker_class: str  # "sync" or "gthread"
    workers: int
    threads: int = 1

    @classmethod
    def parse(cls, text: str) -> "WorkerConfig":
        """`sync:3` or `gthread:2x4` (workers x threads)."""
        kind, _, size = text.partition(":")
        workers, _, threads = size.partition("x")
        return cls(kind, int(workers), int(threads or 1))

    def __str__(self) -> str:
        return f"{self.worker_class}:{self.workers}" + (
            f"x{self.threads}" if self.worker_class == "gthread" else ""
        )


@dataclass
class Server:
    """gunicorn serving conduit.wsgi on 127.0.0.1, stopped by `stop()` (or the context)."""

    config: WorkerConfig
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        TMP.mkdir(parents=True, exist_ok=True)
        command = [
            str(VENV_BIN / "gunicorn"), "conduit.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.config.workers),
            "--worker-class", self.config.worker_class, "--threads", str(self.config.threads),
            "--no-sendfile", "--log-level", "warning", "--error-logfile", str(TMP / "gunicorn.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if http(self, "GET", "/api/_bench/floor")[0] == 200:
                    return self
            except (urllib.error.URLError, ConnectionError):
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; see {TMP / 'gunicorn.log'}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def http(server: Server, method: str, path: str, body: Any = None, token: str = "") -> tuple:
    """One request to the server: (status, parsed JSON or None)."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.base + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def login(server: Server) -> str:
    status, body = http(
        server,
        "POST",
        "/api/users/login",
        {"user": {"email": BENCH_EMAIL, "password": BENCH_PASSWORD}},
    )
    if status != 200:
        raise RuntimeError(f"POST /api/users/login answered {status}")
    return body["user"]["token"]


@dataclass
class Probe:
    status: int
    queries: list[dict]
    seconds: float
    body: bytes


_client: Any = None


def probe(method: str, path: str, *, token: str = "", body: Any = None) -> Probe:
    """One request in this process (django.test.Client) with the SQL it ran."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    global _client
    extra = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    # One client for every probe: a new one loads the middleware again, and WhiteNoise scans
    # every static file when it loads (~10 ms, which would drown what is measured).
    client = _client = _client or Client()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        if method == "GET":
            response = client.get(path, **extra)
        else:
            response = client.generic(
                method, path, json.dumps(body), content_type="application/json", **extra
            )
        seconds = time.perf_counter() - started
    return Probe(response.status_code, list(captured.captured_queries), seconds, response.content)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
        return out.stdout.decode().strip()
    except OSError:
        return ""
