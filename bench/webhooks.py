"""The webhook path (docs/webhooks.md): what endpoints cost the write path, and how fast the
default worker delivers to a local receiver.

    .venv/bin/python bench/webhooks.py [--seconds 10] [--endpoints 2]

Steps: a PostgreSQL database (`$DATABASE_URL`, else `conduit_bench_webhooks`, recreated),
migrated and seeded (`seed_bench`); a receiver (the standard library's threading HTTP server,
answering 200 at once) on a free loopback port; `POST /articles` from 8 clients (`wrk`,
gunicorn sync:3, no worker) for `--seconds` with no endpoint, then again with `--endpoints`
endpoints for every event (`webhooks_add`, WEBHOOKS_ALLOW_PRIVATE=1 for the loopback
receiver): the write rate with and without them. Then `manage.py db_worker` as `make worker`
starts it sends the webhook deliveries queued by the second run, beside its handlers: the
webhook deliveries per second, from its start to the last one delivered. The load average is
printed with each figure (the machine is shared).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    PYTHON,
    RESULTS,
    ROOT,
    Server,
    WorkerConfig,
    database_url,
    ensure_wrk,
    git_commit,
    log,
    login,
    manage,
    server_env,
    vendor_of,
)
from loadtest import Endpoint, run_wrk


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def start_receiver() -> tuple[ThreadingHTTPServer, list[int]]:
    count = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                count[0] += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    class Receiver(ThreadingHTTPServer):
        # The listen backlog must be set before the socket listens (on the instance it came
        # too late: the default 5 overflowed, and each dropped connection cost a second).
        request_queue_size = 1024
        daemon_threads = True

    server = Receiver(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, count


def webhook_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM webhooks_delivery GROUP BY status"
        ).fetchall()
    return dict(rows)


def post_articles(env: dict[str, str], seconds: float) -> dict:
    with Server(WorkerConfig.parse("sync:3"), env) as server:
        token = login(server)
        ep = Endpoint("POST /articles (8 clients)", "/api/articles", token=True, post=True)
        args = argparse.Namespace(threads=2, connections=8)
        run_wrk(server, ep, token, 3, args)  # warm-up
        return run_wrk(server, ep, token, seconds, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="seconds of POST per run")
    parser.add_argument("--endpoints", type=int, default=2, help="endpoints, every event")
    parser.add_argument("--limit", type=float, default=600, help="longest wait for the sends")
    args = parser.parse_args()
    ensure_wrk()
    url = database_url("conduit_bench_webhooks", recreate=not os.environ.get("DATABASE_URL"))
    if vendor_of(url) != "postgresql":
        sys.exit("bench/webhooks.py measures on PostgreSQL (the production database).")
    env = server_env(url) | {
        "WEBHOOKS_ALLOW_PRIVATE": "on",
        "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
    }
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "seed_bench", "--if-empty")
    receiver, received = start_receiver()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    try:
        without = post_articles(env, args.seconds)
        log(f"POST /articles, no endpoint: {without['rps']:.0f} req/s (load {load()})")
        for _ in range(args.endpoints):
            manage(env, "webhooks_add", hook, "--events", "*", "--json")
        queued_before = webhook_counts(url).get("pending", 0)
        with_endpoints = post_articles(env, args.seconds)
        queued = webhook_counts(url).get("pending", 0)
        log(
            f"POST /articles, {args.endpoints} endpoints for every event: "
            f"{with_endpoints['rps']:.0f} req/s (load {load()}); "
            f"{queued - queued_before} webhook deliveries queued"
        )
        received[0] = 0
        worker = subprocess.Popen(
            [PYTHON, "manage.py", "db_worker", "--queue-name", "*", "-v", "0"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        started = time.monotonic()
        try:
            while time.monotonic() - started < args.limit:
                if webhook_counts(url).get("pending", 0) == 0:
                    break
                time.sleep(0.5)
            seconds = time.monotonic() - started
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        counts = webhook_counts(url)
        rate = counts.get("delivered", 0) / seconds
        log(
            f"db_worker delivered {counts.get('delivered', 0)} webhooks in {seconds:.1f} s: "
            f"{rate:.0f} deliveries/s (received {received[0]}, still pending "
            f"{counts.get('pending', 0)}, dead {counts.get('dead', 0)}; load {load()})"
        )
    finally:
        receiver.shutdown()
    run = {
        "timestamp": time.strftime("%Y-%m-%dT%H-%M-%S"),
        "commit": git_commit(),
        "database": vendor_of(url),
        "post_rps_without_endpoints": without["rps"],
        "post_rps_with_endpoints": with_endpoints["rps"],
        "endpoints": args.endpoints,
        "webhook_deliveries": counts,
        "deliveries_per_second": rate,
        "received": received[0],
        "drain_seconds": seconds,
        "load": load(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"webhooks-{run['timestamp']}.json").write_text(json.dumps(run, indent=2) + "\n")


if __name__ == "__main__":
    main()
