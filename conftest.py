"""Shared fixtures: the personas alice, bob and charlie, and API clients."""

import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from rest_framework.test import APIClient

from conduit.auth import issue_token
from conduit.readcache import clear_memory
from conduit.tests.support import IsolatedRedisCache
from events.testing import (  # noqa: F401 - fixtures for every test
    mock_event_bus,
    operation_clock,
)
from users.tests.factories import UserFactory

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgresql` run where DATABASE_URL is PostgreSQL (.ci/run's PostgreSQL
    passes) and are deselected, not skipped, on SQLite."""
    if django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgresql")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]


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
