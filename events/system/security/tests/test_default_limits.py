"""The default rates never get in the way of the public RealWorld suites, run back to back from
one address against `make run` (/work/suites/run_all.sh): the v2 suite three times (Hurl with
`Token`, Hurl with `Bearer`, Bruno), then the Postman collection twice. Their requests are
replayed here with the throttle's clock stopped, the worst case: all of them in one window.

What one run sends from one address (counted in the suites' files):
- v2: 154 requests; 21 registrations (POST /users); 4 logins (POST /users/login), of which
  one fails (against a fresh account per run); the busiest of its users writes 17 times.
- Postman: 32 requests; 2 registrations; 2 logins; its user writes 10 times.
Login is replayed at 30 a v2 run, seven times what it sends, as headroom.
"""

import pytest
from django.core.cache import caches

from events.system.security.models import RateLimitHit
from events.system.security.throttling import ScopedRateLimit
from users.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

DEFAULT_RATES = {"login": "120/minute", "registration": "120/minute", "writes": "120/minute"}
V2_RUNS, POSTMAN_RUNS = 3, 2
V2 = {"registrations": 21, "logins": 30, "writes_of_one_user": 17}
POSTMAN = {"registrations": 2, "logins": 2, "writes_of_one_user": 10}


class StoppedClock:
    def __call__(self) -> float:
        return 1_800_000_000.0


def test_the_documented_defaults_are_the_settings_defaults(settings):
    assert settings.RATE_LIMIT_RATES == DEFAULT_RATES
    assert (
        settings.SECURITY_LOCKOUT_FAILURES,
        settings.SECURITY_LOCKOUT_WINDOW_SECONDS,
        settings.SECURITY_LOCKOUT_SECONDS,
    ) == (5, 900, 900)


def test_the_realworld_suites_back_to_back_from_one_address_are_never_limited(
    api_client, settings, monkeypatch
):
    caches["default"].clear()
    settings.RATE_LIMITS = True
    settings.RATE_LIMIT_RATES = DEFAULT_RATES
    monkeypatch.setattr(ScopedRateLimit, "timer", StoppedClock())
    statuses: list[int] = []
    runs = [("v2", V2)] * V2_RUNS + [("postman", POSTMAN)] * POSTMAN_RUNS

    for number, (suite, sends) in enumerate(runs):
        emails = []
        for index in range(sends["registrations"]):
            name = f"{suite}{number}u{index}"
            emails.append(f"{name}@example.com")
            body = {"user": {"username": name, "email": emails[-1], "password": DEFAULT_PASSWORD}}
            statuses.append(api_client.post("/api/users", body, format="json").status_code)
        tokens = []
        for index in range(sends["logins"]):
            body = {"user": {"email": emails[index % len(emails)], "password": DEFAULT_PASSWORD}}
            response = api_client.post("/api/users/login", body, format="json")
            statuses.append(response.status_code)
            tokens.append(response.json()["user"]["token"])
        wrong = {"user": {"email": emails[0], "password": "wrongpassword"}}
        statuses.append(api_client.post("/api/users/login", wrong, format="json").status_code)
        writer = {"HTTP_AUTHORIZATION": f"Token {tokens[0]}"}
        other = emails[1].split("@")[0]
        for index in range(sends["writes_of_one_user"]):
            verb = api_client.post if index % 2 == 0 else api_client.delete
            statuses.append(verb(f"/api/profiles/{other}/follow", **writer).status_code)

    assert 429 not in statuses
    assert statuses.count(401) == V2_RUNS + POSTMAN_RUNS  # only the deliberate wrong passwords
    assert not RateLimitHit.objects.exists()


def test_the_same_burst_twice_over_would_be_limited(api_client, settings, monkeypatch):
    """The replay above can fail: past twice the registration footprint, the limit bites."""
    caches["default"].clear()
    settings.RATE_LIMITS = True
    settings.RATE_LIMIT_RATES = DEFAULT_RATES
    monkeypatch.setattr(ScopedRateLimit, "timer", StoppedClock())
    registrations = 2 * (V2_RUNS * V2["registrations"] + POSTMAN_RUNS * POSTMAN["registrations"])

    statuses = [
        api_client.post(
            "/api/users",
            {"user": {"username": f"u{n}", "email": f"u{n}@x.org", "password": "long enough"}},
            format="json",
        ).status_code
        for n in range(registrations)
    ]

    assert statuses.count(201) == 120
    assert statuses.count(429) == registrations - 120
