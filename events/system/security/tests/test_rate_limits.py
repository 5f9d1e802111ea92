"""RateLimitExceeded: DRF throttling with scopes for login, registration and writes. Over the
rate, 429 with Retry-After and an errors body; the event once per client, scope and minute;
the count resets as the window slides; RATE_LIMITS=off turns it off."""

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from events.system.security.events import RateLimitExceeded
from events.system.security.models import RateLimitHit
from events.system.security.tests.conftest import ADDRESS, LOGIN
from events.system.security.throttling import ScopedRateLimit
from events.testing import assert_same_events
from users.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

LIMITED = {"errors": {"rate": ["limit exceeded, try again later"]}}


class Clock:
    """The throttle's clock, moved by hand (a callable object, so it stays unbound)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # on a minute boundary

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ScopedRateLimit, "timer", clock)
    return clock


@pytest.fixture
def limits(settings, clock):
    """Rate limits on, with small rates, counted from nothing."""
    caches["default"].clear()  # a process's memory cache outlives one test
    settings.RATE_LIMITS = True
    settings.RATE_LIMIT_RATES = {
        "login": "3/minute",
        "registration": "2/hour",
        "writes": "2/minute",
    }
    return settings


def login(client, ip=ADDRESS):
    body = {"user": {"email": "alice@example.com", "password": DEFAULT_PASSWORD}}
    return client.post(LOGIN, body, format="json", REMOTE_ADDR=ip)


def register(client, name):
    body = {"user": {"username": name, "email": f"{name}@example.com", "password": "long enough"}}
    return client.post("/api/users", body, format="json")


def exceeded(scope, rate, path, user_id=None, ip="127.0.0.1"):
    return RateLimitExceeded(scope=scope, client_ip=ip, user_id=user_id, path=path, rate=rate)


def test_over_the_login_rate_is_a_429_with_retry_after(api_client, alice, limits, mock_event_bus):
    assert [login(api_client).status_code for _ in range(3)] == [200] * 3

    response = login(api_client)

    assert response.status_code == 429
    assert response.json() == LIMITED
    assert response["Retry-After"] == "60"
    assert_same_events(
        mock_event_bus.events_of(RateLimitExceeded),
        [exceeded("login", "3/minute", LOGIN, ip=ADDRESS)],
    )
    hit = RateLimitHit.objects.get()
    assert (hit.scope, hit.client, hit.client_ip, hit.path) == (
        "login",
        f"ip:{ADDRESS}",
        ADDRESS,
        LOGIN,
    )


def test_retry_after_counts_down_to_when_a_place_frees(api_client, alice, limits, clock):
    for _ in range(3):
        login(api_client)
        clock.now += 10

    response = login(api_client)

    assert response["Retry-After"] == "30"  # the first of the three leaves the window then


def test_a_flood_is_one_event_a_minute(api_client, alice, limits, clock, mock_event_bus):
    for _ in range(3):
        login(api_client)

    statuses = [login(api_client).status_code for _ in range(5)]

    assert statuses == [429] * 5
    assert len(mock_event_bus.events_of(RateLimitExceeded)) == 1
    clock.now += 60
    assert [login(api_client).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert len(mock_event_bus.events_of(RateLimitExceeded)) == 2
    assert RateLimitHit.objects.count() == 2


def test_the_limit_resets_as_the_window_slides(api_client, alice, limits, clock):
    for _ in range(3):
        login(api_client)
    assert login(api_client).status_code == 429

    clock.now += 59
    assert login(api_client).status_code == 429
    clock.now += 1
    assert login(api_client).status_code == 200


def test_addresses_are_counted_apart(api_client, alice, limits):
    for _ in range(3):
        login(api_client, ip="192.0.2.1")

    assert login(api_client, ip="192.0.2.1").status_code == 429
    assert login(api_client, ip="192.0.2.2").status_code == 200


def test_registrations_have_their_own_rate(api_client, limits, mock_event_bus):
    assert [register(api_client, name).status_code for name in ("ann", "ben")] == [201, 201]

    response = register(api_client, "cat")

    assert response.status_code == 429
    assert response.json() == LIMITED
    assert response["Retry-After"] == "3600"
    assert_same_events(
        mock_event_bus.events_of(RateLimitExceeded),
        [exceeded("registration", "2/hour", "/api/users")],
    )


def test_writes_are_counted_per_account(client_for, alice, bob, limits, mock_event_bus):
    alices, bobs = client_for(alice), client_for(bob)
    follow = "/api/profiles/{}/follow"

    assert [alices.post(follow.format("bob")).status_code for _ in range(2)] == [200, 200]
    response = alices.delete(follow.format("bob"))

    assert response.status_code == 429
    assert response.json() == LIMITED
    assert bobs.post(follow.format("alice")).status_code == 200
    assert alices.get("/api/articles/feed").status_code == 200  # reads are never limited
    assert_same_events(
        mock_event_bus.events_of(RateLimitExceeded),
        [exceeded("writes", "2/minute", "/api/profiles/bob/follow", user_id=alice.pk)],
    )
    assert RateLimitHit.objects.get().client == f"user:{alice.pk}"


def test_rate_limits_off_means_no_limit(api_client, alice, limits):
    limits.RATE_LIMITS = False

    assert {login(api_client).status_code for _ in range(10)} == {200}


def test_reads_are_never_limited(api_client, limits):
    assert {api_client.get("/api/tags").status_code for _ in range(10)} == {200}


def test_a_rate_that_cannot_be_read_stops_the_start(settings):
    settings.RATE_LIMIT_RATES = {"login": "many", "registration": "1/minute", "writes": "0/hour"}

    with pytest.raises(SystemCheckError, match=r"security\.E001") as raised:
        call_command("check")

    assert "'login'" in str(raised.value)
    assert "'writes'" in str(raised.value)
    assert "'registration'" not in str(raised.value)


def test_the_schema_documents_the_429_of_every_write(api_client):
    schema = api_client.get("/api/schema", {"format": "json"}).json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            throttled = method in {"post", "put", "patch", "delete"}
            assert ("429" in operation["responses"]) == throttled, (method, path)
