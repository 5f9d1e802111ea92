"""Shared fixtures: the personas alice, bob and charlie, and API clients."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connections
from rest_framework.test import APIClient

from conduit.auth import issue_token
from conduit.readcache import clear_memory
from conduit.tests.browser import (  # noqa: F401 - fixtures of the browser tests
    admin_login,
    browser,
)
from conduit.tests.processes import Sessions
from conduit.tests.support import IsolatedRedisCache
from events.testing import (  # noqa: F401 - fixtures for every test
    mock_event_bus,
    operation_clock,
)
from users.tests.factories import UserFactory

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgresql` run where DATABASE_URL is PostgreSQL (.ci/run's PostgreSQL
    passes) and are deselected, not skipped, on SQLite. The shared cache's tests are marked
    `shared_cache` (SHARED_CACHE_TESTS, below)."""
    _mark_shared_cache_tests(items)
    if django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgresql")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """A browser test's body runs while Playwright's event loop runs, and asgiref gives code
    under a running loop database connections of its own, which no fixture's teardown sees:
    they are closed where they were opened, or the suite's end could not drop the test
    database ("being accessed by other users"). Such tests are transactional (live_server),
    so closing loses nothing."""
    try:
        return (yield)
    finally:
        if "live_server" in pyfuncitem.fixturenames:
            connections.close_all()


@pytest.fixture(autouse=True)
def _deliver_background_events_on_commit(settings):
    # Tests of the real bus see background handlers run right after commit; the worker
    # tests switch this off and run `db_worker` instead.
    settings.EVENTS_DELIVER_ON_COMMIT = True


@pytest.fixture(scope="session")
def _suite_shared_cache():
    """The suite's `default` cache: with CACHE_URL naming Redis (.ci/run's last pass), that
    Redis under a key prefix of this test process's own, so the suite really uses it; else
    memory."""
    configured = django_settings.CACHES["default"]
    if not (os.environ.get("CACHE_URL") and configured["BACKEND"] == REDIS_BACKEND):
        yield {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}
        return
    isolated = {
        **configured,
        "BACKEND": "conduit.tests.support.IsolatedRedisCache",
        "KEY_PREFIX": f"conduit-test-{os.getpid()}",
    }
    yield isolated
    IsolatedRedisCache(isolated["LOCATION"], isolated).clear()  # leave the database as found


@pytest.fixture(autouse=True)
def _isolated_caches(settings, _suite_shared_cache):
    # Each test starts with an empty shared cache and an empty read-cache memory, and the
    # read cache stays off unless a test turns it on: arranging rows with factories publishes
    # no event to invalidate it.
    settings.CACHES = {"default": _suite_shared_cache}
    settings.READ_CACHE_STAMPS = "shared"  # in that cache (conduit/tests/test_readcache.py: a file)
    settings.READ_CACHE_SECONDS = 0
    caches["default"].clear()
    clear_memory()


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # The suite sends far more requests from one address than any rate allows; the throttle
    # tests (security/tests/) turn the limits back on.
    settings.RATE_LIMITS = False


@pytest.fixture(autouse=True, scope="session")
def _no_analytics_flusher():
    # No thread writing analytics counts behind the tests' backs (it would start with the
    # first database connection, before any function-scoped fixture): the analytics tests
    # flush by hand (events/system/analytics/flush.py).
    django_settings.ANALYTICS_FLUSH_SECONDS = 0


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for attackers, not for a suite that hashes a password
    # for every persona.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", email="bob@example.com")


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie", email="charlie@example.com")


@pytest.fixture
def client_for():
    """`client_for(alice)`: an API client that sends alice's token."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
        return client

    return make


@pytest.fixture
def sessions():
    """`sessions.popen([...])` starts a process in a session of its own; whatever is left of
    each session (children in process groups of their own too) is killed after the test."""
    with Sessions() as started:
        yield started


# The tests that exercise the shared cache (CACHE_URL): the read cache, its stamps and
# invalidation, the rate limits and the lockouts. .ci/run runs these once more with Redis as
# the cache (`pytest -m shared_cache`); the rest of the suite does not depend on which cache
# it is. By file (a fragment of its path, so a move from events/ to events/system/ keeps
# them); tests/test_ci_selection.py checks that each fragment still names a test file.
SHARED_CACHE_TESTS = (
    "conduit/tests/test_sharedcache.py",
    "conduit/tests/test_readcache.py",
    "conduit/tests/test_read_invalidation.py",
    "conduit/tests/test_scoped_reads.py",
    "security/tests/",
    "moderation/tests/test_visibility.py",
    "users/tests/test_admin.py",
)


def _mark_shared_cache_tests(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.as_posix()
        if any(fragment in path for fragment in SHARED_CACHE_TESTS):
            item.add_marker(pytest.mark.shared_cache)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """pytest-django's, plus: a SQLite test database named per test run (pytest-xdist names
    each run), so two runs in one checkout keep theirs apart."""
    from django.db import connections

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
    for connection in connections.all(initialized_only=False):
        test = connection.settings_dict.setdefault("TEST", {})
        if run and connection.vendor == "sqlite" and test.get("NAME"):
            path = Path(test["NAME"])
            test["NAME"] = str(path.with_name(f"test_{run}_{path.name.removeprefix('test_')}"))
