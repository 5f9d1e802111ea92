"""The mixed load of `make bench` (issue 13): every read endpoint in turn, each over a set of
pages a site's readers spread over, alone and with one `POST /articles` in every 100 and every
20 requests; on one server, or on several at once (`--hosts 2`: gunicorn instances sharing the
database and the shared cache, as several hosts would). The read cache's hit rate of each run
comes from the servers' /metrics (conduit_read_cache_lookups_total)."""

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from common import BENCH, TMP, Server, log

MIX_CONNECTIONS = 16
# The write shares of the table: reads alone, 1 write in 100 requests, 1 in 20.
WRITE_EVERY = (0, 100, 20)


def mix_pages(data: dict) -> list[tuple[bool, list[str]]]:
    """The endpoints of the mix, each with its pages: (sends the token, paths). Articles,
    comments and profiles spread over the 20 newest articles with comments and their authors,
    tag lists over the 3 most used tags, the anonymous list over its first 3 pages."""
    from django.db.models import Count

    from articles.models import Article
    from tags.models import Tag

    articles = list(
        Article.objects.annotate(n=Count("comments"))
        .filter(n__gte=1, hidden=False)
        .order_by("-created_at")
        .values_list("slug", "author__username")[:20]
    )
    tags = list(
        Tag.objects.exclude(name__in=["bench", "load", "mix"])
        .order_by("-articles_count", "name")
        .values_list("name", flat=True)[:3]
    )
    slugs = [slug for slug, _ in articles]
    authors = list(dict.fromkeys(author for _, author in articles))
    return [
        (False, [f"/api/articles?limit=20&offset={offset}" for offset in (0, 20, 40)]),
        (True, ["/api/articles?limit=20"]),
        (False, [f"/api/articles?limit=20&tag={tag}" for tag in tags]),
        (True, ["/api/articles/feed"]),
        (False, [f"/api/articles/{slug}" for slug in slugs]),
        (False, [f"/api/articles/{slug}/comments" for slug in slugs]),
        (False, ["/api/tags"]),
        (False, [f"/api/profiles/{author}" for author in authors]),
    ]


def write_mix_file(pages: list[tuple[bool, list[str]]]) -> Path:
    TMP.mkdir(parents=True, exist_ok=True)
    path = TMP / "mix.txt"
    path.write_text("".join(f"{int(token)} {' '.join(paths)}\n" for token, paths in pages))
    return path


def mix_env(env: dict[str, str]) -> dict[str, str]:
    """The servers' environment: metrics gathered over their processes, in a fresh directory,
    and readable by the bench."""
    path = TMP / "prometheus"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return env | {"PROMETHEUS_MULTIPROC_DIR": str(path), "METRICS_TOKEN": METRICS_TOKEN}


# The servers of the mix accept this token at /metrics (METRICS_TOKEN).
METRICS_TOKEN = "bench-metrics-token"


def read_cache_lookups(server: Server) -> dict[str, float]:
    """conduit_read_cache_lookups_total by result, summed over the server's processes."""
    request = urllib.request.Request(
        server.base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    counts: dict[str, float] = {}
    pattern = r'^conduit_read_cache_lookups_total\{result="(\w+)"\} ([0-9.e+]+)$'
    for result, value in re.findall(pattern, text, re.MULTILINE):
        counts[result] = counts.get(result, 0.0) + float(value)
    return counts


def wrk_mix(
    server: Server,
    mix_file: Path,
    token: str,
    write_every: int,
    seconds: float,
    delay_ms: int | None = None,
) -> dict:
    """One wrk run of wrk/mix.lua against the server; its BENCH_JSON. `delay_ms`: each
    connection's wait before each request (bench/soak.py's rate below capacity)."""
    env = os.environ | {
        "BENCH_MIX_FILE": str(mix_file),
        "BENCH_TOKEN": token,
        "BENCH_WRITE_EVERY": str(write_every),
        "BENCH_NONCE": f"{time.time_ns()}",
    }
    if delay_ms is not None:
        env["BENCH_DELAY_MS"] = str(delay_ms)
    command = [
        "wrk", "-t", "2", "-c", str(MIX_CONNECTIONS), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(BENCH / "wrk" / "mix.lua"), server.base,
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    match = re.search(r"^BENCH_JSON (.*)$", done.stdout, re.MULTILINE)
    if done.returncode or not match:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return json.loads(match.group(1))


def run_mix(
    servers: list[Server], mix_file: Path, token: str, write_every: int, seconds: float
) -> dict:
    """One measured run of the mix against every server at once (one wrk each)."""
    before = [read_cache_lookups(server) for server in servers]
    with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
        raws = list(pool.map(lambda s: wrk_mix(s, mix_file, token, write_every, seconds), servers))
    after = [read_cache_lookups(server) for server in servers]
    lookups = {
        result: sum(
            a.get(result, 0.0) - b.get(result, 0.0) for a, b in zip(after, before, strict=True)
        )
        for result in ("hit", "shared", "miss")
    }
    total_lookups = sum(lookups.values())
    return {
        "rps": sum(raw["requests"] / (raw["duration_us"] / 1e6) for raw in raws),
        "p50_ms": max(raw["p50_us"] for raw in raws) / 1000,
        "p99_ms": max(raw["p99_us"] for raw in raws) / 1000,
        "requests": sum(raw["requests"] for raw in raws),
        "writes": sum(raw["writes"] for raw in raws),
        "non2xx": sum(raw["non2xx"] for raw in raws),
        "socket_errors": sum(sum(raw["errors"].values()) - raw["errors"]["status"] for raw in raws),
        "lookups": lookups,
        "hit_rate": lookups["hit"] / total_lookups if total_lookups else 0.0,
        "shared_rate": lookups["shared"] / total_lookups if total_lookups else 0.0,
    }


# The three runs take turns this many times: this machine's speed drifts by a quarter within a
# minute (the floor alone measured 1,625 to 2,753 req/s on one server, 4 s at a time), and
# runs that take turns see the same drift. (Three rounds of 5 s gave 1 write in 100 at 0.91
# and 0.84 of the mix alone in two runs of the same code.)
ROUNDS = 5


def mix_steps(
    start_servers: Callable[[], list[Server]],
    data: dict,
    token: str,
    *,
    seconds: float,
    warmup: float,
) -> list[dict]:
    """The mix alone, with 1 write in 100 and with 1 in 20, in turn, ROUNDS times, each run
    `seconds * 2 / ROUNDS` long after a warm-up of its own (`warmup / ROUNDS`, at least 1 s:
    wrk's unit); a row per kind of run,
    its req/s the mean of its rounds' (each round's in `rounds`), p50 and p99 the worst
    round's, counts and cache lookups summed."""
    mix_file = write_mix_file(mix_pages(data))
    servers = start_servers()
    runs: dict[int, list[dict]] = {write_every: [] for write_every in WRITE_EVERY}
    try:
        for _ in range(ROUNDS):
            for write_every in WRITE_EVERY:
                if warmup:
                    wrk_mix(servers[0], mix_file, token, write_every, warmup / ROUNDS)
                result = run_mix(servers, mix_file, token, write_every, seconds * 2 / ROUNDS)
                runs[write_every].append(result)
                log(
                    f"{_name(write_every):<36} {result['rps']:8.0f} req/s  "
                    f"p50 {result['p50_ms']:6.1f} ms  hits {result['hit_rate']:.1%} + shared "
                    f"{result['shared_rate']:.1%}  writes {result['writes']}  "
                    f"non-2xx {result['non2xx']}"
                )
    finally:
        for server in servers:
            server.stop()
    return [
        {"name": _name(write_every), "write_every": write_every, **_combined(results)}
        for write_every, results in runs.items()
    ]


def _name(write_every: int) -> str:
    return "read mix" + (f", 1 POST in {write_every}" if write_every else " alone")


def _combined(results: list[dict]) -> dict:
    lookups = {
        result: sum(run["lookups"][result] for run in results)
        for result in ("hit", "shared", "miss")
    }
    total_lookups = sum(lookups.values())
    return {
        "rps": sum(run["rps"] for run in results) / len(results),
        "rounds": [run["rps"] for run in results],
        "p50_ms": max(run["p50_ms"] for run in results),
        "p99_ms": max(run["p99_ms"] for run in results),
        **{key: sum(run[key] for run in results) for key in ("requests", "writes", "non2xx")},
        "socket_errors": sum(run["socket_errors"] for run in results),
        "lookups": lookups,
        "hit_rate": lookups["hit"] / total_lookups if total_lookups else 0.0,
        "shared_rate": lookups["shared"] / total_lookups if total_lookups else 0.0,
    }


# The targets: the mix alone as a ratio of the floor, the mixes with writes as a ratio
# of the mix alone.
TARGETS = {0: 0.55, 100: 0.85, 20: 0.60}


def markdown(run: dict) -> list[str]:
    mix = run["mix"]
    lines = [
        "",
        f"The read mix (bench/mix.py), {run['hosts']} server(s) of gunicorn `{run['server']}` "
        f"sharing the database and the shared cache, {MIX_CONNECTIONS} connections per "
        "server: every read endpoint in turn over its pages (3 list pages, the token's list, "
        "3 tag lists, the feed, 20 articles, their comments, the tags, their authors' "
        "profiles), with one `POST /articles` (bench0's token) in every 100 or 20 requests. "
        "Targets: the mix alone at least 0.55 of the floor; with writes, at least 0.85 (1 in "
        "100) and 0.60 (1 in 20) of the mix alone. Hits: read-cache lookups answered from the "
        "process's memory; shared: from the shared cache (computed by another process). The "
        f"three runs take turns {ROUNDS} times; req/s is the mean of the rounds (each round's "
        "in brackets), p50 and p99 the worst round's.",
        "",
        "| run | req/s (rounds) | p50 ms | p99 ms | POSTs | non-2xx | ratio to floor "
        "| ratio to mix alone | target | met | hits | shared |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: |",
    ]
    for row in mix:
        target = TARGETS[row["write_every"]]
        measured = row["ratio_to_alone"] if row["write_every"] else row["ratio"]
        lines.append(
            f"| {row['name']} | {row['rps']:.0f} ({', '.join(f'{r:.0f}' for r in row['rounds'])}) "
            f"| {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{row['writes']} | {row['non2xx'] + row['socket_errors']} | {row['ratio']:.3f} | "
            f"{row['ratio_to_alone']:.3f} | ≥ {target:.2f} | "
            f"{'yes' if measured >= target else '**no**'} | {row['hit_rate']:.1%} | "
            f"{row['shared_rate']:.1%} |"
        )
    return lines
