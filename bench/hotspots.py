"""Where an endpoint's time goes: N in-process requests under cProfile (stdlib, no install).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conduit_bench \\
        .venv/bin/python bench/hotspots.py /api/articles?limit=20 [--token] [-n 300] [--top 25]
        .venv/bin/python bench/hotspots.py /api/articles --post -n 200
        .venv/bin/python bench/hotspots.py /api/articles --post -n 300 --timed   # no profiler

Run it on a seeded database (bench/run.sh leaves `conduit_bench`). Prints the functions with
the most own time and the most cumulative time, and the share spent waiting on the database;
`--timed`, instead, the wall time and this process's CPU time per request, unprofiled (the
database's CPU is not in it).
"""

import argparse
import cProfile
import itertools
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import probe, server_env, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--token", action="store_true", help="as bench0 (follows 20 users)")
    parser.add_argument("--post", action="store_true", help="POST a new article (implies --token)")
    parser.add_argument("-n", type=int, default=300, help="requests")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--timed", action="store_true", help="no profiler: wall and CPU time")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conduit_bench")
    setup_django(server_env(url))
    from conduit.auth import issue_token
    from users.models import User

    bench0 = User.objects.get(email="bench0@example.com")
    token = issue_token(bench0) if args.token or args.post else ""
    titles = itertools.count()

    def request() -> None:
        if not args.post:
            probe("GET", args.path, token=token)
            return
        title = f"Profiled {time.time_ns()} {next(titles)}"
        article = {"title": title, "description": "d", "body": "b", "tagList": ["bench", "load"]}
        probe("POST", args.path, token=token, body={"article": article})

    for _ in range(20):
        request()
    if args.timed:
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.n):
            request()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        method = "POST" if args.post else "GET"
        print(
            f"{args.n} x {method} {args.path}: {wall / args.n * 1000:.2f} ms wall, "
            f"{cpu / args.n * 1000:.2f} ms CPU per request (in process, unprofiled)"
        )
        return
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.n):
        request()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    total = stats.total_tt
    method = "POST" if args.post else "GET"
    per_request = total / args.n * 1000
    print(f"{args.n} x {method} {args.path}: {per_request:.2f} ms per request (profiled)")
    waits = ("_execute_send", "wait")  # psycopg sending a query and waiting for the result
    db = sum(v[2] for k, v in stats.stats.items() if k[2] in waits)
    print(f"time in psycopg send/wait (the database round trips): {db / total:.0%}")
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
