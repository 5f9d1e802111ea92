"""Several hosts, as far as process memory goes: two `make serve` instances (gunicorn, two
workers each) on two ports and one `manage.py db_worker`, sharing the test's PostgreSQL
database and one Redis database as the shared cache (CACHE_URL), with the read cache on
(READ_CACHE_SECONDS=60) and the rate limits on. While threads hammer both instances with
reads, each test writes through one instance and reads through the other: a write is seen by
the very next read anywhere, lockouts and rate limits count across both, and the worker runs
every delivery exactly once.

Selected by `pytest -m multihost` (.ci/run's Redis pass), left out of a plain `make test`:
it needs PostgreSQL (DATABASE_URL), Redis (MULTIHOST_CACHE_URL, default
redis://127.0.0.1:6379/2, emptied first); its two instances listen on ports the OS picks
(MULTIHOST_PORTS=8101,8102 names them instead).
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus

from conduit.tests.processes import Sessions, free_port, wait_for
from events.models import DeliveryReceipt
from events.outbox import deliveries, delivery_backlog
from events.system.security.models import RateLimitHit
from events.tests.test_worker_process import database_url
from users.models import User, WelcomeEmail

# The test process only reads (inside each test's transaction, which PostgreSQL's READ
# COMMITTED lets see every commit of the servers); everything it changes goes through them.
pytestmark = [pytest.mark.multihost, pytest.mark.django_db]

REDIS_URL = os.environ.get("MULTIHOST_CACHE_URL", "redis://127.0.0.1:6379/2")


def _two_ports() -> tuple[int, int]:
    first = free_port()
    while (second := free_port()) == first:
        pass
    return first, second


PORTS = (
    tuple(int(port) for port in os.environ["MULTIHOST_PORTS"].split(","))
    if os.environ.get("MULTIHOST_PORTS")
    else _two_ports()
)
WRITES_PER_MINUTE = 10
LOCKOUT_FAILURES = 5
METRICS_TOKEN = "multihost-metrics"
# Every read after a write is made this many times: an instance's two workers each answer
# some of them, and every one must show the write.
READS = 4


class Instance:
    """One `make serve`, spoken to over real HTTP (a new connection per request)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def __repr__(self) -> str:
        return f"<instance :{self.port}>"

    def call(
        self, method: str, path: str, body: dict | None = None, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        authorization = f"Token {token}" if token else None
        status, raw = self.raw(method, f"/api{path}", body, authorization)
        return status, json.loads(raw) if raw else {}

    def raw(
        self, method: str, path: str, body: dict | None = None, authorization: str | None = None
    ) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def ok(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        status, answer = self.call(method, path, body, token)
        assert status in (200, 201), (self, method, path, status, answer)
        return answer


class Hammer:
    """Threads reading from both instances until stopped (anonymously and with a reader's
    token): the read caches of all four workers stay warm, so a missed invalidation shows."""

    def __init__(self, instances: list[Instance], *, token: str, slug: str, author: str) -> None:
        self.reads = [
            ("/articles?limit=10", None),
            ("/articles?limit=10", token),
            (f"/articles/{slug}", token),
            (f"/profiles/{author}", token),
            ("/articles/feed", token),
            ("/tags", None),
        ]
        self.instances = instances
        self.statuses: Counter[int] = Counter()
        self.unexpected: list[tuple[Instance, str, int]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(4)]

    def __enter__(self) -> "Hammer":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self, offset: int) -> None:
        n = offset
        while not self._stop.is_set():
            instance = self.instances[n % len(self.instances)]
            path, token = self.reads[n % len(self.reads)]
            try:
                status, _ = instance.call("GET", path, token=token)
            except OSError as error:  # counted as a failure below
                status = 0
                path = f"{path} ({error})"
            self.statuses[status] += 1
            if status != 200:
                self.unexpected.append((instance, path, status))
            n += 1

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


class Cluster:
    def __init__(self, instances: list[Instance], mail: Path, env: dict[str, str]) -> None:
        self.a, self.b = instances
        self.mail = mail
        self.env = env
        self.hammer: Hammer
        self._names = iter(range(10_000))

    def admin(self, code: str) -> None:
        """Run `code` in a third process on the same database and cache (`manage.py shell`), as
        an admin's change from another host."""
        finished = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=django_settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert finished.returncode == 0, finished.stdout + finished.stderr

    def register(self, through: Instance, name: str) -> dict[str, Any]:
        """A new account, through the API; its welcome email is the worker's to send."""
        name = f"{name}{next(self._names)}"
        user = {"username": name, "email": f"{name}@example.com", "password": f"{name} password"}
        answer = through.ok("POST", "/users", {"user": user})["user"]
        return answer | {"password": user["password"]}


def _serving(instance: Instance, process: subprocess.Popen, log: Path) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"{instance} exited {process.returncode}:\n{log.read_text()}")
    try:
        status, body = instance.raw("GET", "/api/tags")
    except OSError:
        return False  # not listening yet
    assert status == 200, f"{instance} answered {status} {body!r}:\n{log.read_text()}"
    return True


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Cluster]:
    """Two instances and a worker on the test database and an emptied Redis database, and
    the hammer running; the database is emptied again afterwards."""
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", (
            "the multi-host test needs PostgreSQL: DATABASE_URL=postgres://..."
        )
        for port in PORTS:  # a server left over from another run would answer for ours
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
        redis.Redis.from_url(REDIS_URL).flushdb()
        logs = tmp_path_factory.mktemp("multihost")
        mail = logs / "mail"
        env = os.environ | {
            "DATABASE_URL": database_url(),
            "CACHE_URL": REDIS_URL,
            "DEBUG": "off",
            "SECRET_KEY": "multihost-test-secret-key-of-both-instances-and-the-worker",
            "READ_CACHE_SECONDS": "60",
            "RATE_LIMITS": "on",
            "RATE_LIMIT_WRITES": f"{WRITES_PER_MINUTE}/minute",
            "SECURITY_LOCKOUT_FAILURES": str(LOCKOUT_FAILURES),
            "METRICS_TOKEN": METRICS_TOKEN,
            "EMAIL_URL": f"filemail:///{mail}",
            "EVENTS_DELIVER_ON_COMMIT": "off",
            "EVENTS_SHUTDOWN_GRACE_SECONDS": "5",
            "WORKERS": "2",
            "LOG_LEVEL": "WARNING",
            # PBKDF2's deliberate slowness would dominate the logins and registrations here.
            "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
        }
        started = Sessions()  # make, gunicorn, its workers, the worker: killed at the end

        def start(name: str, command: list[str], **extra: str) -> tuple[subprocess.Popen, Path]:
            log = logs / f"{name}.log"
            with log.open("w") as out:
                process = started.popen(
                    command,
                    cwd=django_settings.BASE_DIR,
                    env=env | extra,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            return process, log

        try:
            start(
                "worker",
                [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval",
                 "0.1", "--no-startup-delay", "--no-reload"],
            )  # fmt: skip
            instances = []
            # One after the other: the first's collectstatic fills staticfiles/ for both.
            for port in PORTS:
                instance = Instance(port)
                process, log = start(f"serve-{port}", ["make", "-s", "serve"], PORT=str(port))
                wait_for(lambda: _serving(instance, process, log))  # noqa: B023
                instances.append(instance)
            cluster = Cluster(instances, mail, env)
            reader = cluster.register(cluster.a, "hammer")
            article = {"title": "Hammered", "description": "d", "body": "b", "tagList": ["x"]}
            article = cluster.b.ok("POST", "/articles", {"article": article}, reader["token"])
            cluster.hammer = Hammer(
                instances,
                token=reader["token"],
                slug=article["article"]["slug"],
                author=reader["username"],
            )
            with cluster.hammer:
                yield cluster
        finally:
            started.close()
            call_command("flush", interactive=False, verbosity=0)
            redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def hammered(cluster: Cluster) -> Iterator[Cluster]:
    """The cluster, with the hammer seen reading before the test; after it, every read the
    hammer made must have answered 200."""
    before = cluster.hammer.total
    wait_for(lambda: cluster.hammer.total >= before + 8)
    yield cluster
    assert cluster.hammer.unexpected == []


def reads(instance: Instance, path: str, token: str | None = None) -> list[dict[str, Any]]:
    return [instance.ok("GET", path, token=token) for _ in range(READS)]


def test_a_favorite_through_one_host_shows_in_the_next_read_through_the_other(hammered):
    a, b = hammered.a, hammered.b
    author, reader = hammered.register(a, "author"), hammered.register(b, "reader")
    article = {"title": "Favorite me", "description": "d", "body": "b", "tagList": []}
    slug = a.ok("POST", "/articles", {"article": article}, author["token"])["article"]["slug"]
    for answer in reads(b, f"/articles/{slug}", reader["token"]):  # remembered on b
        assert (answer["article"]["favorited"], answer["article"]["favoritesCount"]) == (False, 0)

    a.ok("POST", f"/articles/{slug}/favorite", token=reader["token"])

    for answer in reads(b, f"/articles/{slug}", reader["token"]):
        assert (answer["article"]["favorited"], answer["article"]["favoritesCount"]) == (True, 1)
    for answer in reads(b, f"/articles?author={author['username']}"):
        assert answer["articles"][0]["favoritesCount"] == 1

    b.ok("DELETE", f"/articles/{slug}/favorite", token=reader["token"])

    for answer in reads(a, f"/articles/{slug}", reader["token"]):
        assert (answer["article"]["favorited"], answer["article"]["favoritesCount"]) == (False, 0)


def test_a_follow_through_one_host_shows_in_the_next_read_through_the_other(hammered):
    a, b = hammered.a, hammered.b
    author, reader = hammered.register(a, "followed"), hammered.register(b, "follower")
    article = {"title": "Follow me", "description": "d", "body": "b", "tagList": []}
    slug = b.ok("POST", "/articles", {"article": article}, author["token"])["article"]["slug"]
    profile = f"/profiles/{author['username']}"
    for answer in reads(a, profile, reader["token"]):
        assert answer["profile"]["following"] is False
    assert [r["articlesCount"] for r in reads(a, "/articles/feed", reader["token"])] == [0] * READS

    b.ok("POST", f"{profile}/follow", token=reader["token"])

    for answer in reads(a, profile, reader["token"]):
        assert answer["profile"]["following"] is True
    for answer in reads(a, f"/articles/{slug}", reader["token"]):
        assert answer["article"]["author"]["following"] is True
    for answer in reads(a, "/articles/feed", reader["token"]):
        assert [row["slug"] for row in answer["articles"]] == [slug]

    a.ok("DELETE", f"{profile}/follow", token=reader["token"])

    for answer in reads(b, profile, reader["token"]):
        assert answer["profile"]["following"] is False
    assert [r["articlesCount"] for r in reads(b, "/articles/feed", reader["token"])] == [0] * READS


def test_a_new_article_through_one_host_shows_in_the_next_read_through_the_other(hammered):
    a, b = hammered.a, hammered.b
    author = hammered.register(a, "writer")
    slug = f"fresh-news-from-{author['username']}"
    before = reads(b, "/articles?limit=5")
    assert b.call("GET", f"/articles/{slug}")[0] == 404
    assert b.call("GET", f"/articles/{slug}/comments")[0] == 404
    count = before[0]["articlesCount"]

    article = {"title": f"Fresh news from {author['username']}", "description": "d", "body": "b"}
    created = a.ok("POST", "/articles", {"article": article | {"tagList": []}}, author["token"])
    assert created["article"]["slug"] == slug

    for answer in reads(b, "/articles?limit=5"):
        assert answer["articlesCount"] == count + 1
        assert answer["articles"][0]["slug"] == slug
    for answer in reads(b, f"/articles/{slug}"):
        assert answer["article"]["title"] == article["title"]
    for answer in reads(b, f"/profiles/{author['username']}"):
        assert answer["profile"]["username"] == author["username"]


def test_a_deactivated_accounts_token_is_refused_by_the_next_request_to_either_host(hammered):
    a, b = hammered.a, hammered.b
    leaver = hammered.register(a, "leaver")
    for instance in (a, b):  # the token's user is remembered in both instances' workers
        for answer in reads(instance, "/user", leaver["token"]):
            assert answer["user"]["username"] == leaver["username"]

    hammered.admin(
        "from users.models import User; from users.services import user_set_active; "
        f"user_set_active(user=User.objects.get(username={leaver['username']!r}), active=False)"
    )
    assert User.objects.get(username=leaver["username"]).is_active is False

    for instance in (a, b, a, b):
        for _ in range(READS):
            status, answer = instance.call("GET", "/user", token=leaver["token"])
            assert (status, answer) == (401, {"errors": {"token": ["is invalid"]}})
    status, _ = b.call("PUT", "/user", {"user": {"bio": "still here?"}}, leaver["token"])
    assert status == 401


def test_failed_logins_through_both_hosts_lock_the_account_on_both(hammered):
    a, b = hammered.a, hammered.b
    target = hammered.register(b, "target")
    wrong = {"user": {"email": target["email"], "password": "not the password"}}
    right = {"user": {"email": target["email"], "password": target["password"]}}
    # Three failures through a, two through b: neither host alone saw enough to lock.
    for n in range(LOCKOUT_FAILURES):
        status, answer = (a, b)[n % 2].call("POST", "/users/login", wrong)
        assert status == 401, answer

    for instance in (a, b):
        status, answer = instance.call("POST", "/users/login", right)
        assert status == 429, answer
        assert answer == {"errors": {"credentials": ["too many failed attempts, try again later"]}}


def test_rate_limits_count_one_accounts_writes_over_both_hosts(hammered):
    a, b = hammered.a, hammered.b
    writer = hammered.register(a, "busy")
    # The refusals are recorded once per client, scope and clock minute: start early in one.
    if time.time() % 60 > 52:
        time.sleep(61 - time.time() % 60)
    minute = int(time.time() // 60)

    statuses = []
    for n in range(2 * WRITES_PER_MINUTE):
        instance = (a, b)[n % 2]
        body = {"user": {"bio": f"update {n}"}}
        statuses.append((instance.port, instance.call("PUT", "/user", body, writer["token"])[0]))
    assert int(time.time() // 60) == minute, "the writes took too long"

    # Per host (or per worker), each would have let ten through.
    assert [status for _, status in statuses] == [200] * 10 + [429] * 10
    assert {port for port, status in statuses if status == 429} == set(PORTS)
    user_id = User.objects.get(username=writer["username"]).pk
    hits = RateLimitHit.objects.filter(scope="writes", client=f"user:{user_id}")
    assert hits.count() == 1, "both hosts refused; the refusal was recorded once"
    assert a.ok("GET", "/user", token=writer["token"])["user"]["bio"] == "update 9"


def test_the_worker_runs_every_delivery_of_both_hosts_exactly_once(hammered):
    a, b = hammered.a, hammered.b
    newcomers = [hammered.register((a, b)[n % 2], "newcomer") for n in range(6)]

    def drained() -> bool:
        backlog = delivery_backlog()
        assert backlog["dead"] == 0, backlog
        return backlog["pending"] == backlog["running"] == 0

    wait_for(drained)

    rows = list(deliveries().values_list("status", "args_kwargs"))
    assert len(rows) > len(newcomers)
    assert {status for status, _ in rows} == {TaskResultStatus.SUCCESSFUL}
    delivered = Counter(tuple(map(str, args_kwargs["args"])) for _, args_kwargs in rows)
    receipts = Counter(
        (str(event_id), handler)
        for event_id, handler in DeliveryReceipt.objects.values_list("event_id", "handler")
    )
    assert receipts == delivered
    assert max(delivered.values()) == 1, "one delivery per (event, handler)"

    # One welcome email for every account of the whole module, newcomers included.
    accounts = list(User.objects.values_list("email", flat=True))
    assert {n["email"] for n in newcomers} <= set(accounts)
    assert WelcomeEmail.objects.count() == len(accounts)
    # The welcome emails only: the locked account (the lockout test) was also told of its lock.
    welcomes = [
        message.read_text().splitlines()
        for message in hammered.mail.iterdir()
        if "Subject: Welcome to Conduit" in message.read_text()
    ]
    sent = Counter(
        line.removeprefix("To: ") for lines in welcomes for line in lines if line.startswith("To: ")
    )
    assert sent == Counter(accounts)


def test_neither_host_saw_a_shared_cache_failure(hammered):
    for instance in (hammered.a, hammered.b):
        status, scrape = instance.raw("GET", "/metrics", authorization=f"Bearer {METRICS_TOKEN}")
        assert status == 200
        assert b"conduit_events_published_total{" in scrape
        assert b"conduit_shared_cache_errors_total{" not in scrape
