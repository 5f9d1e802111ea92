"""The analytics steps of the load test (bench/loadtest.py): what counting views costs the
fastest endpoint, and how fast the operators' dashboard is over a long history.

- Counting on and off: GET /articles/{slug} served with ANALYTICS_ENABLED on, off, off, on
  (a server each time, the same worker configuration, a warm-up run each), after one
  discarded server while the database settles from the POST run: the order cancels a
  steady drift of a shared machine and any advantage of going first or second.
  The ratio of the means is the issue's measure (target: on keeps at least 90% of off).
  Beside the throughput, the CPU time the server's processes spent per request in each
  measured run (from /proc).
- The dashboard: sequential in-process requests (django.test.Client, a staff session, DEBUG
  off) after a warm-up, on the database the run seeded with `seed_bench --events`; p50, p90
  and its queries.
"""

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DASHBOARD = "/admin/analytics/dashboard/"
COUNTING_TARGET = 0.90
DASHBOARD_TARGET_MS = 200.0


def counting_on_and_off(
    server_for: Callable[[dict], Any],
    warm_up: Callable[[Any], object],
    measure_slug: Callable[[Any], dict],
    rounds: int = 2,
) -> dict:
    """GET /articles/{slug} req/s, and server CPU per request, with counting on and off,
    alternating servers."""
    runs: dict[str, list[dict]] = {"on": [], "off": []}
    # Discarded: the first server after the POST run measured the database settling (the
    # autovacuum of thousands of new articles): 1654-1726 req/s where the next three gave
    # 1920-2111, whatever the flag, which penalised the side that went first.
    with server_for({"ANALYTICS_ENABLED": "on"}) as server:
        warm_up(server)
        measure_slug(server)
    for round_ in range(rounds):
        for flag in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
            with server_for({"ANALYTICS_ENABLED": flag}) as server:
                warm_up(server)
                before = server_cpu_seconds(server.process.pid)
                run = measure_slug(server)
                spent = server_cpu_seconds(server.process.pid) - before
                runs[flag].append(run | {"cpu_us": spent / max(run["requests"], 1) * 1e6})
    on = statistics.mean(run["rps"] for run in runs["on"])
    off = statistics.mean(run["rps"] for run in runs["off"])
    cpu_on = statistics.mean(run["cpu_us"] for run in runs["on"])
    cpu_off = statistics.mean(run["cpu_us"] for run in runs["off"])
    return {
        "on_rps": on,
        "off_rps": off,
        "ratio": on / off,
        "target": COUNTING_TARGET,
        "cpu_us_per_request": {"on": cpu_on, "off": cpu_off},
        "cpu_ratio": cpu_off / cpu_on,
        "runs": {flag: [run["rps"] for run in measured] for flag, measured in runs.items()},
        "cpu_us": {flag: [run["cpu_us"] for run in measured] for flag, measured in runs.items()},
        "p50_ms": {flag: [run["p50_ms"] for run in measured] for flag, measured in runs.items()},
        "non2xx": sum(run["non2xx"] + run["socket_errors"] for m in runs.values() for run in m),
    }


def server_cpu_seconds(session_id: int) -> float:
    """User and system CPU time of every process in the server's session (gunicorn's master
    starts it, Server starts it in a session of its own), from /proc."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[3]) == session_id:  # field 6 of stat, the session; utime and stime next
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def dashboard_latency(requests: int = 50, warmup: int = 5) -> dict:
    """The dashboard's p50 and p90 over `requests` sequential requests, in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from events.models import EventRecord
    from events.system.analytics.models import HourlyCount
    from users.models import User

    operator, _ = User.objects.get_or_create(
        email="bench-operator@example.com",
        defaults={"username": "bench-operator", "is_staff": True},
    )
    client = Client()
    client.force_login(operator)
    timings = []
    for i in range(warmup + requests):
        started = time.perf_counter()
        response = client.get(DASHBOARD)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{DASHBOARD} answered {response.status_code}")
        if i >= warmup:
            timings.append(elapsed)
    with CaptureQueriesContext(connection) as captured:
        client.get(DASHBOARD)
    return {
        "p50_ms": statistics.median(timings),
        "p90_ms": statistics.quantiles(timings, n=10)[-1],
        "target_ms": DASHBOARD_TARGET_MS,
        "requests": requests,
        "queries": len(captured),
        "event_records": EventRecord.objects.count(),
        "hourly_rows": HourlyCount.objects.count(),
    }


def markdown(analytics: dict) -> list[str]:
    counting, board = analytics["counting"], analytics["dashboard"]
    met = "yes" if counting["ratio"] >= counting["target"] else "**no**"
    board_met = "yes" if board["p50_ms"] < board["target_ms"] else "**no**"
    on = ", ".join(f"{rps:.0f}" for rps in counting["runs"]["on"])
    off = ", ".join(f"{rps:.0f}" for rps in counting["runs"]["off"])
    cpu = counting["cpu_us_per_request"]
    cpu_met = "yes" if counting["cpu_ratio"] >= counting["target"] else "**no**"
    return [
        "",
        "Analytics (bench/analytics_steps.py):",
        "",
        "| measure | value | target | met |",
        "| --- | ---: | ---: | :---: |",
        f"| GET /articles/{{slug}}, counting on / off (req/s, mean of runs {on} / {off}) "
        f"| {counting['on_rps']:.0f} / {counting['off_rps']:.0f} = {counting['ratio']:.3f} "
        f"| ≥ {counting['target']:.2f} | {met} |",
        f"| the same, server CPU per request on / off (µs; off / on) "
        f"| {cpu['on']:.0f} / {cpu['off']:.0f} = {counting['cpu_ratio']:.3f} "
        f"| ≥ {counting['target']:.2f} | {cpu_met} |",
        f"| dashboard p50 (p90), {board['event_records']:,} audit records, "
        f"{board['queries']} queries | {board['p50_ms']:.1f} ms ({board['p90_ms']:.1f} ms) "
        f"| < {board['target_ms']:.0f} ms | {board_met} |",
    ]
