"""How fast the worker drains a burst of writes (issue 21, "The workers keep up").

    .venv/bin/python bench/drain.py [--seconds 20] [--worker-seconds 0 (until drained)]
    .venv/bin/python bench/drain.py --drain-only        # time the worker on the queue as it is

Steps: a PostgreSQL database (`$DATABASE_URL`, else `conduit_bench_drain`, recreated), migrated;
`make serve`'s server (gunicorn sync:3, the event system on, no worker); 60 users and 300
articles written through the API; then `POST /articles` from 8 clients (`wrk -t2 -c8`) for
`--seconds`; the server stops; then `manage.py db_worker --queue-name '*'` (what `make
worker` runs, `WORKER_PROCESSES` as set) drains the queue alone. Reported: articles created,
POST req/s, the handler runs waiting, the drain's handler runs per second over the whole
drain and per slice of the queue (so a rate that falls as the queue grows shows), and the
drain ratio: articles created / (POST req/s x drain seconds), 1.0 meaning the worker keeps up
with the writes. Then `POST /articles` again with the worker running beside the server (the
write rate the machine sustains, and the handler runs waiting before and after). The load
average is printed with every figure (the machine is shared).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
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
    http,
    log,
    manage,
    server_env,
    vendor_of,
)
from loadtest import Endpoint, run_wrk

USERS, ARTICLES_PER_USER = 60, 5


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def seed_through_api(server: Server) -> str:
    """60 users, 5 articles each, through the API; returns the first user's token."""

    def one(i: int) -> str:
        user = {
            "username": f"drain{i}",
            "email": f"drain{i}@example.com",
            "password": "pass-word-123",
        }
        status, body = http(server, "POST", "/api/users", {"user": user})
        if status != 201:
            status, body = http(server, "POST", "/api/users/login", {"user": user})
        token = body["user"]["token"]
        for n in range(ARTICLES_PER_USER):
            article = {
                "title": f"Seeded {i} {n} {time.time_ns()}",
                "description": "seeded",
                "body": "A seeded article about django and python.",
                "tagList": ["seed", f"t{n}"],
            }
            status, _ = http(server, "POST", "/api/articles", {"article": article}, token)
            assert status == 201, status
        return token

    with ThreadPoolExecutor(6) as pool:
        tokens = list(pool.map(one, range(USERS)))
    return tokens[0]


def queue_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
        ).fetchall()
    return dict(rows)


def handler_runs_waiting(url: str) -> int:
    """Handler runs not yet done: deliveries READY or RUNNING (one run each)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(RUNS_WAITING_SQL).fetchone()[0]


# One delivery row per (event, handler): a row is a handler run.
RUNS_WAITING_SQL = (
    "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
)


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """The worker as `make worker` starts it."""
    return subprocess.Popen(
        [PYTHON, "manage.py", "db_worker", "--queue-name", "*", "-v", "0"],
        cwd=ROOT,
        env=env | {"DEBUG": "off"},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )


def stop_worker(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def post_with_worker(env: dict[str, str], url: str, token: str, seconds: float) -> dict:
    """POST /articles from 8 clients with the worker running beside the server: the write
    rate the machine sustains, and whether the backlog grew meanwhile."""
    worker = start_worker(env)
    try:
        time.sleep(5)  # the worker's processes are up
        before = handler_runs_waiting(url)
        server_env_fast = env | {
            "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher"
        }
        with Server(WorkerConfig.parse("sync:3"), server_env_fast) as server:
            ep = Endpoint("POST /articles (8 clients)", "/api/articles", token=True, post=True)
            post = run_wrk(server, ep, token, seconds, argparse.Namespace(threads=2, connections=8))
        after = handler_runs_waiting(url)
    finally:
        stop_worker(worker)
    post.update(waiting_before=before, waiting_after=after, load=load())
    log(
        f"POST /articles with the worker running: {post['rps']:.0f} req/s; handler runs "
        f"waiting {before} -> {after} (load {load()})"
    )
    return post


def drain(env: dict[str, str], url: str, *, limit: float) -> dict:
    """Start the worker as `make worker` does, poll until nothing waits (or `limit` s)."""
    waiting = start_waiting = handler_runs_waiting(url)
    log(f"worker starts on {start_waiting} handler runs waiting (load {load()})")
    process = start_worker(env)
    started = time.monotonic()
    samples = [(0.0, start_waiting)]
    try:
        while waiting > 0 and (not limit or time.monotonic() - started < limit):
            time.sleep(1.0)
            waiting = handler_runs_waiting(url)
            samples.append((time.monotonic() - started, waiting))
            if len(samples) % 10 == 0:
                done = start_waiting - waiting
                rate = done / samples[-1][0]
                at = samples[-1][0]
                log(f"  {at:5.0f} s: {waiting} waiting, {rate:.0f} runs/s (load {load()})")
    finally:
        stop_worker(process)
    seconds = samples[-1][0]
    done = start_waiting - waiting
    return {
        "start_waiting": start_waiting,
        "left_waiting": waiting,
        "seconds": seconds,
        "runs_per_second": done / seconds if seconds else 0.0,
        "slices": slice_rates(samples),
        "load_end": load(),
    }


def slice_rates(samples: list[tuple[float, int]]) -> list[dict]:
    """The rate over each tenth of the drain (first tenth: the fullest queue)."""
    if len(samples) < 3:
        return []
    step = max(1, len(samples) // 10)
    out = []
    for i in range(0, len(samples) - 1, step):
        (t0, w0), (t1, w1) = samples[i], samples[min(i + step, len(samples) - 1)]
        if t1 > t0:
            out.append({"queued": w0, "runs_per_second": round((w0 - w1) / (t1 - t0))})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="POST /articles run")
    parser.add_argument(
        "--worker-seconds", type=float, default=0.0, help="stop the drain after (0: until empty)"
    )
    parser.add_argument("--drain-only", action="store_true", help="only time the worker")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--no-post-with-worker", action="store_true", help="skip that step")
    args = parser.parse_args()
    url = database_url("conduit_bench_drain", recreate=not (args.keep_db or args.drain_only))
    if vendor_of(url) != "postgresql":
        sys.exit("bench/drain.py measures PostgreSQL (set DATABASE_URL or start it).")
    env = server_env(url)
    run: dict = {"commit": git_commit(), "database": url.rsplit("/", 1)[-1]}
    if not args.drain_only:
        ensure_wrk()
        manage(env, "migrate", "--no-input", "-v", "0")
        # The seeding's passwords are hashed cheaply: the hash is not what is measured.
        server_env_fast = env | {
            "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher"
        }
        with Server(WorkerConfig.parse("sync:3"), server_env_fast) as server:
            token = seed_through_api(server)
            log(f"seeded {USERS} users and {USERS * ARTICLES_PER_USER} articles (load {load()})")
            import psycopg

            with psycopg.connect(url, autocommit=True) as c:
                before = c.execute("SELECT count(*) FROM articles_article").fetchone()[0]
            ep = Endpoint("POST /articles (8 clients)", "/api/articles", token=True, post=True)
            wrk_args = argparse.Namespace(threads=2, connections=8)
            post = run_wrk(server, ep, token, args.seconds, wrk_args)
            with psycopg.connect(url, autocommit=True) as c:
                after = c.execute("SELECT count(*) FROM articles_article").fetchone()[0]
        post["articles_created"] = after - before
        post["load"] = load()
        run["post"] = post
        log(f"POST /articles: {post['rps']:.0f} req/s, {after - before} articles (load {load()})")
    run["queue"] = queue_counts(url)
    run["drain"] = drain(env, url, limit=args.worker_seconds)
    d = run["drain"]
    log(
        f"drain: {d['start_waiting'] - d['left_waiting']} runs in {d['seconds']:.0f} s = "
        f"{d['runs_per_second']:.0f} runs/s, {d['left_waiting']} left (load {d['load_end']})"
    )
    if "post" in run and d["left_waiting"] == 0:
        ratio = run["post"]["articles_created"] / (run["post"]["rps"] * d["seconds"])
        run["drain_ratio"] = ratio
        log(f"drain ratio {ratio:.2f} (articles / (POST req/s x drain seconds))")
    if "post" in run and not args.no_post_with_worker:
        run["post_with_worker"] = post_with_worker(env, url, token, args.seconds)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"drain-{time.strftime('%Y-%m-%dT%H-%M-%S')}.json"
    path.write_text(json.dumps(run, indent=2))
    log(f"saved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
