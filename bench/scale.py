"""Scale check (bash bench/run.sh --scale): single-client p50 latency of the list endpoints on
the default data set and on a large one (1,000,000 articles by default), and the EXPLAIN
(ANALYZE, BUFFERS) plans of the SQL they run, saved in bench/explain/.

Each data set is measured in a subprocess of its own (one DATABASE_URL per Django process):
N sequential in-process requests (django.test.Client, DEBUG off, a persistent connection),
after a warm-up. The large database is kept between runs (seeding it takes minutes): it is
migrated and reused when it holds the requested number of articles; --reseed rebuilds it.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH,
    PYTHON,
    RESULTS,
    database_url,
    git_commit,
    log,
    manage,
    probe,
    server_env,
    setup_django,
    vendor_of,
)

EXPLAIN = BENCH / "explain"


def seed_options(articles: int) -> list[str]:
    """Proportionate to the default data set (200 users / 2,000 articles / 5,000 comments /
    10,000 favorites), except users (50 articles each, not 10) and tags (1,000, skewed)."""
    if articles <= 2000:
        return []
    return [
        f"--articles={articles}",
        f"--users={max(200, articles // 50)}",
        f"--comments={articles * 5 // 2}",
        f"--favorites={articles * 5}",
        f"--tags={min(1000, max(50, articles // 1000))}",
    ]


def prepare(name: str, articles: int, reseed: bool) -> tuple[dict, float | None]:
    url = database_url(name, recreate=reseed)
    env = server_env(url)
    manage(env, "migrate", "--no-input", "-v", "0")
    check = "from articles.models import Article; print(Article.objects.count())"
    count = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c", check],
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    seconds = None
    if count != str(articles):
        if count != "0":
            log(f"{name} holds {count} articles, not {articles}: seeding it again")
        url = database_url(name, recreate=True)
        env = server_env(url)
        manage(env, "migrate", "--no-input", "-v", "0")
        seconds = manage(env, "seed_bench", *seed_options(articles))
    else:  # a database seeded before the search index existed
        manage(env, "search_reindex", "--if-empty")
    return env, seconds


def measure(label: str, requests: int) -> dict:
    """In the subprocess: time each endpoint and EXPLAIN its SQL."""
    from django.db import connection
    from django.db.models import Count

    from conduit.auth import issue_token
    from tags.models import Tag
    from users.models import User

    bench0 = User.objects.get(email="bench0@example.com")
    top_tag = Tag.objects.annotate(n=Count("article_tags")).order_by("-n").first().name
    # Search: the top tag's name is a word most articles hold (in their bodies); the least
    # used tag's name is in few articles, and only in their tags.
    rare_tag = (
        Tag.objects.annotate(n=Count("article_tags")).filter(n__gt=0).order_by("n", "name")[0].name
    )
    newest = probe("GET", "/api/articles?limit=1")
    author = json.loads(newest.body)["articles"][0]["author"]["username"]
    token = issue_token(bench0)
    endpoints = {
        "list": ("/api/articles?limit=20", ""),
        # A deep page: 250 pages in (empty on the default data set, as the issue measured it).
        "list-deep": ("/api/articles?limit=20&offset=5000", ""),
        "list-by-tag": (f"/api/articles?limit=20&tag={top_tag}", ""),
        "list-by-author": (f"/api/articles?limit=20&author={author}", ""),
        "favorited-by": (f"/api/articles?limit=20&favorited={bench0.username}", ""),
        "feed": ("/api/articles/feed?limit=20", token),
        "search": (f"/api/articles?limit=20&q={top_tag}", ""),
        "search-rare": (f"/api/articles?limit=20&q={rare_tag}", ""),
        "search-two-words": (f"/api/articles?limit=20&q={top_tag}+{rare_tag}", ""),
        "search-and-tag": (f"/api/articles?limit=20&q={top_tag}&tag={rare_tag}", ""),
    }
    results = {}
    EXPLAIN.mkdir(exist_ok=True)
    for name, (path, auth) in endpoints.items():
        timings = []
        for i in range(requests + 5):
            result = probe("GET", path, token=auth)
            if result.status != 200:
                raise RuntimeError(f"{path} answered {result.status}")
            if i >= 5:  # the first five warm up caches and the connection
                timings.append(result.seconds * 1000)
        results[name] = {
            "path": path,
            "p50_ms": statistics.median(timings),
            "p90_ms": statistics.quantiles(timings, n=10)[-1],
            "queries": len(result.queries),
            "articles_count": json.loads(result.body)["articlesCount"],
        }
        if connection.vendor == "postgresql":
            plans = [f"-- {label}: GET {path}\n"]
            with connection.cursor() as cursor:
                for query in result.queries:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                    plans.append(f"{query['sql']}\n\n{plan}\n")
            (EXPLAIN / f"{label}-{name}.txt").write_text("\n".join(plans))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per endpoint")
    parser.add_argument("--reseed", action="store_true", help="rebuild the large database")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the subprocess's label
    args = parser.parse_args()
    # The scale check measures the database's work: with the read cache on, every request
    # after the first would be answered from memory.
    os.environ["READ_CACHE_SECONDS"] = "0"
    if args.measure:
        setup_django(dict(os.environ))
        print("SCALE_JSON " + json.dumps(measure(args.measure, args.requests)))
        return

    large = "1m" if args.articles == 1_000_000 else f"{args.articles // 1000}k"
    runs, seed_seconds = {}, {}
    for label, name, articles, reseed in [
        ("default", "conduit_bench_small", 2000, True),
        (large, f"conduit_bench_{large}", args.articles, args.reseed),
    ]:
        env, seed_seconds[label] = prepare(name, articles, reseed)
        log(f"measuring {label} ({env['DATABASE_URL']})")
        out = subprocess.run(
            [PYTHON, __file__, "--measure", label, "--requests", str(args.requests)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode:
            sys.exit(f"measuring {label} failed:\n{out.stderr[-3000:]}")
        runs[label] = json.loads(out.stdout.split("SCALE_JSON ", 1)[1])
    vendor = vendor_of(env["DATABASE_URL"])
    lines = [
        f"# Scale check, {vendor}, {time.strftime('%Y-%m-%d %H:%M')}, commit `{git_commit()}`",
        "",
        f"p50 of {args.requests} sequential in-process requests; target: at most 2x the default.",
        "",
        f"| endpoint | default p50 ms | {large} p50 ms | ratio | within 2x | queries | "
        f"articlesCount ({large}) |",
        "| --- | ---: | ---: | ---: | :---: | ---: | ---: |",
    ]
    for name, small in runs["default"].items():
        big = runs[large][name]
        ratio = big["p50_ms"] / small["p50_ms"]
        lines.append(
            f"| {name} | {small['p50_ms']:.1f} | {big['p50_ms']:.1f} | {ratio:.2f} | "
            f"{'yes' if ratio <= 2 else '**no**'} | {big['queries']} | {big['articles_count']:,} |"
        )
    if seed_seconds[large]:
        lines += ["", f"Seeding {large} took {seed_seconds[large]:.0f} s."]
    lines += ["", "Plans: bench/explain/<data set>-<endpoint>.txt."]
    table = "\n".join(lines) + "\n"
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S")
    result = {"runs": runs, "seed_seconds": seed_seconds, "commit": git_commit()}
    (RESULTS / f"scale-{stamp}-{vendor}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"latest-scale-{vendor}.md").write_text(table)
    print("\n" + table)


if __name__ == "__main__":
    main()
