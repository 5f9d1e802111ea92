"""The web survives its database connections ending (a PostgreSQL restart, a failover, a
pooler's recycle: `pg_terminate_backend` here): no 5xx on the requests after, and a write that
committed answers success.

PostgreSQL only (`pytest.mark.postgresql`: SQLite has no server to end a connection): these
tests run in the PostgreSQL pass of `.ci/run` (`DATABASE_URL=postgres://... make test`) and
are deselected on SQLite."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from articles.api import views
from articles.events import ArticleFavorited, ArticleUpdated
from articles.tests.factories import ArticleFactory
from conduit.auth import issue_token
from conduit.tests.processes import Sessions
from events.models import EventRecord
from events.tests.test_worker_faults import admin_connection
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


def terminate(*, application_name: str | None = None, pid: int | None = None) -> int:
    """End server connections (by name, or one by pid); how many were ended."""
    with admin_connection() as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND (application_name = %s OR pid = %s)",
            (application_name, pid),
        ).fetchall()
    return len(rows)


def test_a_write_whose_connection_ends_after_commit_answers_success(api_client, alice, monkeypatch):
    """The PUT committed (its event too); the connection then ended before the view read the
    article back: the answer is the written article, not a 500."""
    article = ArticleFactory(author=alice, title="Before")
    update = views.article_update

    def update_then_lose_the_connection(**kwargs):
        written = update(**kwargs)  # committed
        assert terminate(pid=connection.connection.info.backend_pid) == 1
        return written

    monkeypatch.setattr(views, "article_update", update_then_lose_the_connection)
    api_client.force_authenticate(alice)

    response = api_client.put(
        f"/api/articles/{article.slug}", {"article": {"title": "After"}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["article"]["title"] == "After"
    article.refresh_from_db()
    assert article.title == "After"
    assert EventRecord.objects.filter(type=ArticleUpdated.type_name).count() == 1


def test_a_favorite_whose_connection_ends_after_commit_answers_success(
    api_client, alice, bob, monkeypatch
):
    article = ArticleFactory(author=alice, title="Liked")
    favorite = views.article_favorite

    def favorite_then_lose_the_connection(**kwargs):
        favorite(**kwargs)
        assert terminate(pid=connection.connection.info.backend_pid) == 1

    monkeypatch.setattr(views, "article_favorite", favorite_then_lose_the_connection)
    api_client.force_authenticate(bob)

    response = api_client.post(f"/api/articles/{article.slug}/favorite")

    assert response.status_code == 200, response.content
    body = response.json()["article"]
    assert (body["favorited"], body["favoritesCount"]) == (True, 1)
    assert EventRecord.objects.filter(type=ArticleFavorited.type_name).count() == 1


# Two workers, as `make serve` runs; the log says which port the OS gave.
OPTIONS = ["--workers", "2", "--log-level", "info"]


class Server:
    """gunicorn as `make serve` runs it (two workers, kept connections), on a free port, its
    connections named so that the test can end them; killed with its session after the test."""

    def __init__(self, sessions: Sessions, tmp_path: Path) -> None:
        self.application_name = f"web-{uuid.uuid4().hex[:8]}"
        db = connection.settings_dict
        url = (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}?application_name={self.application_name}"
        )
        self.log_path = tmp_path / "gunicorn.log"
        env = os.environ | {
            "DATABASE_URL": url,
            "CONN_MAX_AGE": "600",
            "DEBUG": "on",
            "RATE_LIMITS": "off",
            "EVENTS_DELIVER_ON_COMMIT": "off",
        }
        env.pop("CONN_HEALTH_CHECKS", None)  # the default, as deployed
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with self.log_path.open("w") as log:
            self.process = sessions.popen(
                [
                    str(gunicorn),
                    "conduit.wsgi:application",
                    "--bind",
                    "127.0.0.1:0",
                    "--workers",
                    "2",
                    "--log-level",
                    "info",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.port = self._port()

    def _port(self) -> int:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()
            for line in self.log_path.read_text().splitlines():
                if "Listening at: http://127.0.0.1:" in line:
                    return int(line.rsplit(":", 1)[1].split()[0])
            time.sleep(0.1)
        raise AssertionError("gunicorn did not start")

    def request(self, method: str, path: str, token: str, body: dict | None = None) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def test_connections_ended_between_requests_cause_no_5xx(sessions, tmp_path: Path):
    """Rounds of concurrent reads and writes on both gunicorn workers; between rounds every
    connection of the server is ended. Every request of every round answers 2xx: each
    worker's first statement after that checks its kept connection and replaces it
    (CONN_HEALTH_CHECKS, on by default)."""
    author = UserFactory()
    token = issue_token(author)
    server = Server(sessions, tmp_path)
    assert server.request("GET", "/api/articles", token) == 200
    slugs = []
    for n in range(4):
        slug = f"fault-{n}"
        ArticleFactory(author=author, title=slug)
        slugs.append(slug)

    def work(n: int) -> int:
        slug = slugs[n % len(slugs)]
        match n % 3:
            case 0:
                return server.request("GET", "/api/articles", token)
            case 1:
                return server.request("GET", f"/api/articles/{slug}", token)
            case _:
                body = {"article": {"body": f"edit {n}"}}
                return server.request("PUT", f"/api/articles/{slug}", token, body)

    ended = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(4):
            statuses = list(pool.map(work, range(24)))
            assert set(statuses) == {200}, (statuses, server.log_path.read_text()[-3000:])
            ended += terminate(application_name=server.application_name)
    assert ended >= 4, "the server's connections were ended between the rounds"
