"""The SQL statements of each write, in order: register, POST /articles, favorite, comment,
follow. In-process requests (django.test.Client) under CaptureQueriesContext, with the
settings the benchmark's server runs with (bench/common.py, server_env).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/conduit_bench \\
        .venv/bin/python bench/write_statements.py [--sql]

Migrates the database and writes three new accounts and a few articles into it. The first
writes warm up (the accounts' counters and the tags then exist, as on a running site); the
measured ones follow. Prints each write's statement count and, with --sql, the statements
themselves (shortened).
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Probe, probe, server_env, setup_django


def shorten(sql: str, width: int = 110) -> str:
    sql = re.sub(r"\s+", " ", sql)
    sql = re.sub(r"'[^']*'", "'…'", sql)
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sql", action="store_true", help="print the statements too")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conduit_bench")
    setup_django(server_env(url))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    stamp = time.time_ns()
    writer, reader, newcomer = (f"{role}{stamp}" for role in ("writer", "reader", "newcomer"))

    def register(name: str) -> Probe:
        user = {"username": name, "email": f"{name}@example.com", "password": "a long password"}
        return probe("POST", "/api/users", body={"user": user})

    def create(token: str, title: str, tags: list[str]) -> Probe:
        article = {"title": title, "description": "d", "body": "b", "tagList": tags}
        return probe("POST", "/api/articles", token=token, body={"article": article})

    def token_of(result: Probe) -> str:
        return _json(result)["user"]["token"]

    # Warm-up, not measured: the accounts, their counters and the tags exist from here on.
    writer_token, reader_token = token_of(register(writer)), token_of(register(reader))
    first = _json(create(writer_token, f"Warm-up {stamp}", ["bench", "load"]))["article"]
    probe("POST", f"/api/articles/{first['slug']}/favorite", token=reader_token)

    writes: list[tuple[str, Probe]] = []
    joined = register(newcomer)
    writes.append(("POST /users (register)", joined))
    created = create(writer_token, f"Counted {stamp}", ["bench", "load"])
    writes.append(("POST /articles (two tags in use)", created))
    slug = _json(created)["article"]["slug"]
    writes.append(
        ("POST /articles (same title: slug taken)",
         create(writer_token, f"Counted {stamp}", ["bench", "load"]))
    )  # fmt: skip
    writes.append(
        ("POST /articles (first by its author, two new tags)",
         create(token_of(joined), f"Debut {stamp}", [f"new{stamp}", f"fresh{stamp}"]))
    )  # fmt: skip
    writes.append(
        ("POST /articles/{slug}/favorite", probe("POST", f"/api/articles/{slug}/favorite",
                                                 token=reader_token))
    )  # fmt: skip
    comment = {"comment": {"body": "Nice."}}
    writes.append(
        ("POST /articles/{slug}/comments", probe("POST", f"/api/articles/{slug}/comments",
                                                 token=reader_token, body=comment))
    )  # fmt: skip
    writes.append(
        ("POST /profiles/{username}/follow", probe("POST", f"/api/profiles/{writer}/follow",
                                                   token=reader_token))
    )  # fmt: skip
    for name, result in writes:
        assert result.status in (200, 201), (name, result.status, result.body[:300])
        print(f"{name}: {len(result.queries)} statements")
        if args.sql:
            for number, query in enumerate(result.queries, 1):
                print(f"  {number:2}. {shorten(query['sql'])}")


def _json(result: Probe) -> dict:
    import json

    return json.loads(result.body)


if __name__ == "__main__":
    main()
