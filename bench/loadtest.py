"""The RealWorld API under load, next to the framework's floor (run by bench/run.sh).

Steps: pick the database (recreate `conduit_bench`), migrate, seed_bench if empty, count the
queries of one in-process request per endpoint, choose gunicorn's worker class and count by
measurement, then drive wrk over each endpoint and report req/s, p50/p99 and each endpoint's
throughput as a ratio of the floor measured in the same run; then GET /articles/{slug} with
analytics counting on and off, and the dashboard's latency over the seeded audit records
(bench/analytics_steps.py). See bench/README.md.
"""

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analytics_steps import counting_on_and_off, dashboard_latency
from analytics_steps import markdown as analytics_markdown
from common import (
    BENCH,
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
    probe,
    server_env,
    setup_django,
    vendor_of,
)
from mix import markdown as mix_markdown
from mix import mix_env, mix_steps

WORKER_CANDIDATES = "sync:2,sync:3,sync:4,sync:6,gthread:2x2,gthread:2x4,gthread:4x2"
POST_CONNECTIONS = 8


@dataclass
class Endpoint:
    name: str
    path: str
    target: float | None = None  # the ratio to the floor
    token: bool = False
    post: bool = False


def endpoints(slug: str, username: str, tag: str) -> list[Endpoint]:
    return [
        Endpoint("floor", "/api/_bench/floor"),
        Endpoint("floor, JSON rendered per request", "/api/_bench/floor?render=1"),
        Endpoint("GET /articles?limit=20 (anonymous)", "/api/articles?limit=20", 0.25),
        # Full-text search against the list it must keep up with: one word (the most used
        # tag's name, which most articles' bodies also hold) and that tag's list.
        Endpoint("GET /articles?tag={tag}", f"/api/articles?limit=20&tag={tag}"),
        Endpoint("GET /articles?q={word}", f"/api/articles?limit=20&q={tag}"),
        Endpoint("GET /articles?limit=20 (token)", "/api/articles?limit=20", 0.20, token=True),
        Endpoint("GET /articles/feed", "/api/articles/feed", 0.20, token=True),
        Endpoint("GET /articles/{slug}", f"/api/articles/{slug}", 0.45),
        Endpoint("GET /articles/{slug}/comments", f"/api/articles/{slug}/comments", 0.40),
        Endpoint("GET /tags", "/api/tags", 0.80),
        Endpoint("GET /profiles/{username}", f"/api/profiles/{username}", 0.70),
        # Issue 21: at least 0.15 of the floor, every receiver on and the worker stopped
        # (ahead of every peer measured: the FastAPI example made 0.144, django-ninja's 0.056).
        Endpoint("POST /articles (8 clients)", "/api/articles", 0.15, token=True, post=True),
    ]


def run_wrk(server: Server, ep: Endpoint, token: str, seconds: float, args) -> dict:
    connections = POST_CONNECTIONS if ep.post else args.connections
    env = os.environ | {
        "BENCH_TOKEN": token if ep.token else "",
        "BENCH_POST": "1" if ep.post else "0",
        "BENCH_NONCE": f"{time.time_ns()}",
    }
    script = str(BENCH / "wrk" / "bench.lua")
    command = [
        "wrk", "-t", str(min(args.threads, connections)), "-c", str(connections),
        "-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", script, server.base + ep.path,
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    out = done.stdout
    if done.returncode:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or out}")
    match = re.search(r"^BENCH_JSON (.*)$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    raw = json.loads(match.group(1))
    errors = sum(raw["errors"].values()) - raw["errors"]["status"]
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "requests": raw["requests"],
        "non2xx": raw["non2xx"],
        "last_bad_status": raw["last_bad_status"],
        "socket_errors": errors,
        "connections": connections,
        "kb_per_response": raw["bytes"] / max(raw["requests"], 1) / 1024,
    }


def measure(server: Server, ep: Endpoint, token: str, args, seconds: float) -> dict:
    """A warm-up run (discarded), then the measured run."""
    if args.warmup:
        run_wrk(server, ep, token, args.warmup, args)
    before = event_rows() if ep.post else {}
    result = run_wrk(server, ep, token, seconds, args)
    if ep.post:  # what the audit trail took during the measured run
        result["events_written"] = {k: v - before[k] for k, v in event_rows().items()}
    log(
        f"{ep.name:<36} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.1f} ms  "
        f"p99 {result['p99_ms']:6.1f} ms  non-2xx {result['non2xx']}"
    )
    return result


def write_path(env: dict, eps: list[Endpoint], args) -> None:
    """Only POST /articles between two runs of the floor, `--write-path` times: how the write
    path's changes were measured (bench/README.md, "The write path")."""
    floor, post = eps[0], next(ep for ep in eps if ep.post)
    with Server(WorkerConfig.parse(args.workers), env) as server:
        token = login(server)
        for _ in range(args.write_path):
            before = measure(server, floor, token, args, args.duration)["rps"]
            rps = measure(server, post, token, args, args.duration)["rps"]
            after = measure(server, floor, token, args, args.duration)["rps"]
            log(f"POST /articles: {rps / ((before + after) / 2):.3f} of the floor")


def choose_workers(env: dict, eps: list[Endpoint], args) -> tuple[WorkerConfig, list[dict]]:
    """The candidate with the best geometric mean of floor and anonymous list throughput."""
    if args.workers != "auto":
        return WorkerConfig.parse(args.workers), []
    floor, listing = eps[0], eps[2]
    comparison = []
    for text in args.candidates.split(","):
        config = WorkerConfig.parse(text)
        with Server(config, env) as server:
            log(f"worker candidate {config}")
            row = {"config": str(config)}
            for key, ep in (("floor", floor), ("list", listing)):
                row[key] = measure(server, ep, "", args, args.choice_duration)["rps"]
        row["score"] = math.sqrt(row["floor"] * row["list"])
        comparison.append(row)
    best = max(comparison, key=lambda row: row["score"])
    log(f"chosen: {best['config']} (geometric mean of floor and list req/s)")
    return WorkerConfig.parse(best["config"]), comparison


def discover() -> dict:
    """The pages to load: the newest article with 5 to 20 comments (typical, not the most
    commented one) and its author."""
    from django.db.models import Count

    from articles.models import Article
    from tags.models import Tag
    from users.models import Follow, User

    articles = Article.objects.select_related("author").annotate(n=Count("comments"))
    article = (articles.filter(n__gte=5, n__lte=20) or articles).order_by("-created_at")[0]
    bench0 = User.objects.get(email="bench0@example.com")
    return {
        "slug": article.slug,
        # Not the POST run's own tags: on a reused database they would win, and no worker
        # indexes those articles during the benchmark.
        "tag": Tag.objects.exclude(name__in=["bench", "load", "mix"])
        .order_by("-articles_count", "name")
        .values_list("name", flat=True)[0],
        "comments_on_article": article.n,
        "username": article.author.username,
        "feed_user_follows": Follow.objects.filter(follower=bench0).count(),
        "counts": {
            model.__name__: model.objects.count()
            for model in (User, Article, Follow, *_other_models())
        },
    }


def _other_models() -> list:
    from articles.models import ArticleTag, Favorite
    from comments.models import Comment
    from tags.models import Tag

    return [Tag, ArticleTag, Favorite, Comment]


def count_queries(eps: list[Endpoint], token: str) -> dict[str, int]:
    """Queries one request makes when it reads the database: the read cache is off for the
    probe (with it on, a repeated request makes none)."""
    from django.test import override_settings

    with override_settings(READ_CACHE_SECONDS=0):
        return _count_queries(eps, token)


def _count_queries(eps: list[Endpoint], token: str) -> dict[str, int]:
    counts = {}
    for ep in eps:
        body = None
        if ep.post:
            title = f"Query probe {time.time_ns()}"
            body = {"article": {"title": title, "description": "d", "body": "b", "tagList": ["q"]}}
        result = probe("POST" if ep.post else "GET", ep.path, token=token if ep.token else "",
                       body=body)  # fmt: skip
        if result.status >= 300:
            log(f"warning: {ep.name} answered {result.status} in process")
        counts[ep.name] = len(result.queries)
    return counts


def event_rows() -> dict[str, int]:
    from events.models import Delivery, EventRecord

    return {"event_records": EventRecord.objects.count(), "deliveries": Delivery.objects.count()}


def markdown(run: dict) -> str:
    floor = run["floor_rps"]
    lines = [
        f"# Benchmark, {run['vendor']}, {run['timestamp']}",
        "",
        f"Commit `{run['commit']}`, {run['cpus']} CPUs, gunicorn `{run['server']}`, "
        f"{run['connections']} connections (POST: {POST_CONNECTIONS}), {run['duration']} s per "
        f"endpoint after {run['warmup']} s of warm-up. Floor: {floor:.0f} req/s (mean of the "
        "runs before and after the endpoints). Read cache: "
        + (
            f"on ({run['read_cache_seconds']} s; hits skip the database, see conduit/readcache.py)."
            if run["read_cache_seconds"]
            else "off (READ_CACHE_SECONDS=0: every request reads the database)."
        ),
        "",
        "| endpoint | req/s | p50 ms | p99 ms | non-2xx | ratio to floor | target | met "
        "| queries |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |",
    ]
    for row in run["endpoints"]:
        target = row["target"]
        met = "" if target is None else ("yes" if row["ratio"] >= target else "**no**")
        lines.append(
            f"| {row['name']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{row['non2xx'] + row['socket_errors']} | {row['ratio']:.3f} | "
            f"{'' if target is None else f'≥ {target:.2f}'} | {met} | {row['queries']} |"
        )
    if run["worker_comparison"]:
        lines += ["", "Worker choice (req/s; score = geometric mean of the two):", ""]
        lines += ["| gunicorn | floor | list (anonymous) | score |", "| --- | ---: | ---: | ---: |"]
        lines += [
            f"| {c['config']} | {c['floor']:.0f} | {c['list']:.0f} | {c['score']:.0f} |"
            for c in run["worker_comparison"]
        ]
    data = run["data"]
    lines += [
        "",
        f"Data: {', '.join(f'{v:,} {k}' for k, v in data['counts'].items())}; seeded in "
        f"{run['seed_seconds']:.1f} s. Single article and comments: `{data['slug']}` "
        f"({data['comments_on_article']} comments); feed user follows "
        f"{data['feed_user_follows']} users; tag and search word `{data['tag']}`. POST run "
        f"wrote {run['post_events']['event_records']} event records and "
        f"{run['post_events']['deliveries']} deliveries. Load average at the end (1, 5, 15 "
        f"min): {', '.join(f'{load:.2f}' for load in run['load_average'])}.",
    ]
    if run.get("mix"):
        lines += mix_markdown(run)
    if "analytics" in run:
        lines += analytics_markdown(run["analytics"])
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per endpoint")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (GETs)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    # make serve's own configuration (the Makefile's WORKERS): the targets are the deployed
    # server's. `auto` picked sync:2, sync:3 and gthread:4x2 in three runs of one day.
    parser.add_argument("--workers", default="sync:3", help="auto, or e.g. sync:3, gthread:2x4")
    parser.add_argument("--candidates", default=WORKER_CANDIDATES, help="for --workers auto")
    parser.add_argument("--choice-duration", type=float, default=5, help="seconds per candidate")
    parser.add_argument("--keep-db", action="store_true", help="reuse conduit_bench as it is")
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="audit records to seed (the dashboard's)"
    )
    parser.add_argument(
        "--hosts", type=int, default=1, help="servers sharing the database and cache (the mix)"
    )
    parser.add_argument(
        "--write-path",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="only the floor, POST /articles and the floor again, ROUNDS times (no report)",
    )
    args = parser.parse_args()
    ensure_wrk()

    url = database_url("conduit_bench", recreate=not args.keep_db)
    vendor, env = vendor_of(url), server_env(url)
    log(f"database: {url}")
    manage(env, "migrate", "--no-input", "-v", "0")
    # The audit records are the dashboard's history (bench/history.py).
    seed_seconds = manage(env, "seed_bench", "--if-empty", "--events", str(args.events))
    setup_django(env)
    data = discover()
    eps = endpoints(data["slug"], data["username"], data["tag"])
    if args.write_path:
        write_path(env, eps, args)
        return

    config, comparison = choose_workers(env, eps, args)
    rows, floors = [], []
    with Server(config, env) as server:
        token = login(server)
        log(f"queries per request (in process), token of {data['feed_user_follows']}-follow user")
        queries = count_queries(eps, token)
        for ep in eps:
            result = measure(server, ep, token, args, args.duration)
            rows.append(asdict(ep) | result | {"queries": queries[ep.name]})
            if ep.name == "floor":
                floors.append(result["rps"])
        floors.append(measure(server, eps[0], token, args, args.duration)["rps"])
    slug = next(ep for ep in eps if ep.name == "GET /articles/{slug}")
    log("analytics: GET /articles/{slug} with counting on and off, alternately")
    no_warmup = argparse.Namespace(**(vars(args) | {"warmup": 0}))  # warmed up apart
    analytics = {
        "counting": counting_on_and_off(
            lambda overrides: Server(config, env | overrides),
            lambda server: args.warmup and run_wrk(server, slug, token, args.warmup, args),
            lambda server: measure(server, slug, token, no_warmup, args.duration),
        ),
        "dashboard": dashboard_latency(),
    }
    log(
        f"analytics: counting on/off {analytics['counting']['ratio']:.3f}; dashboard p50 "
        f"{analytics['dashboard']['p50_ms']:.1f} ms"
    )
    log(f"the read mix on {args.hosts} server(s) of {config}, alone and with writes")
    servers_env = mix_env(env)
    mix = mix_steps(
        lambda: [Server(config, servers_env).start() for _ in range(args.hosts)],
        data,
        token,
        seconds=args.duration,
        warmup=args.warmup,
    )
    floor_rps = sum(floors) / len(floors)
    for row in rows:
        row["ratio"] = row["rps"] / floor_rps
    mix_alone = [row["rps"] for row in mix if not row["write_every"]]
    for row in mix:
        row["ratio"] = row["rps"] / floor_rps
        row["ratio_to_alone"] = row["rps"] / (sum(mix_alone) / len(mix_alone))
    run = {
        "timestamp": time.strftime("%Y-%m-%dT%H-%M-%S"),
        "vendor": vendor,
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "server": str(config),
        "connections": args.connections,
        "duration": args.duration,
        "warmup": args.warmup,
        "floor_rps": floor_rps,
        "floor_runs": floors,
        "seed_seconds": seed_seconds,
        "data": data,
        "endpoints": rows,
        "worker_comparison": comparison,
        "post_events": rows[-1]["events_written"],
        "read_cache_seconds": int(env.get("READ_CACHE_SECONDS", "60")),
        "load_average": os.getloadavg(),  # the machine may be shared: how busy it was
        "analytics": analytics,
        "hosts": args.hosts,
        "mix": mix,
    }
    table = markdown(run)
    RESULTS.mkdir(exist_ok=True)
    name = f"{vendor}{'' if run['read_cache_seconds'] else '-no-read-cache'}"
    (RESULTS / f"{run['timestamp']}-{name}.json").write_text(json.dumps(run, indent=2) + "\n")
    (RESULTS / f"latest-{name}.md").write_text(table)
    print("\n" + table)
    log(f"saved bench/results/{run['timestamp']}-{name}.json and latest-{name}.md")
    failures = sum(row["non2xx"] + row["socket_errors"] for row in rows)
    failures += analytics["counting"]["non2xx"]
    failures += sum(row["non2xx"] + row["socket_errors"] for row in mix)
    if failures:
        log(f"error: {failures} non-2xx responses or socket errors")
        sys.exit(1)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
