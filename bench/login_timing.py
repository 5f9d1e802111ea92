"""Does a login's answer time tell whether the email has an account? (docs/security.md)

    .venv/bin/python -m bench.login_timing [--attempts 50] [--json PATH]

Sends `--attempts` failed logins for a known email and as many for an unknown one, alternated
(so that drift in the machine's load falls on both alike), through the whole stack in process
(Django's test client: middleware, DRF, users.services.user_login, the security hooks) with
the production password hasher (PASSWORD_HASHERS' default, PBKDF2), and compares the medians
of wall-clock time (what a client sees) and of CPU time (the work done, without the waits a
busy machine adds): the wall-clock medians must be within 5 ms (exit status 1 otherwise).
Each attempt comes from its own address and the lock thresholds are raised for the run, so
that every attempt checks a password (a locked email answers both alike
without one, tested in events/security/tests/test_lockout.py). Runs against DATABASE_URL
(migrated), creates one throwaway account and removes it, with its attempts and locks.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conduit.settings")
os.environ["RATE_LIMITS"] = "off"
os.environ["SECURITY_LOCKOUT_FAILURES"] = "1000000"
os.environ["SECURITY_ACCOUNT_LOCK_ADDRESSES"] = "1000000"
os.environ.setdefault("EVENTS_DELIVER_ON_COMMIT", "off")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from events.system.security.models import AccountLock, LoginAttempt  # noqa: E402
from users.models import User  # noqa: E402
from users.services import user_delete, user_register  # noqa: E402

KNOWN = "timing-known@bench.invalid"
UNKNOWN = "timing-unknown@bench.invalid"
BOUND_MS = 5.0


def attempt(client: Client, email: str, n: int) -> tuple[float, float]:
    """One failed login: (wall-clock ms, this thread's CPU ms)."""
    started, cpu_started = time.perf_counter(), time.thread_time()
    response = client.post(
        "/api/users/login",
        {"user": {"email": email, "password": f"wrong guess {n}"}},
        content_type="application/json",
        REMOTE_ADDR=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
    )
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.thread_time() - cpu_started) * 1000
    if response.status_code != 401:
        sys.exit(f"expected 401, got {response.status_code}: {response.content[:200]!r}")
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    User.objects.filter(email=KNOWN).delete()
    user = user_register(username="timing-known", email=KNOWN, password="the right password")
    client = Client()
    known, unknown = [], []
    try:
        attempt(client, KNOWN, 0)  # warm-up: imports, connections, caches
        attempt(client, UNKNOWN, 0)
        for n in range(1, args.attempts + 1):
            known.append(attempt(client, KNOWN, 2 * n))
            unknown.append(attempt(client, UNKNOWN, 2 * n + 1))
    finally:
        LoginAttempt.objects.filter(email__in=[KNOWN, UNKNOWN]).delete()
        AccountLock.objects.filter(email__in=[KNOWN, UNKNOWN]).delete()
        user_delete(user=user)

    def summary(samples: list[tuple[float, float]], index: int) -> dict[str, float]:
        values = [sample[index] for sample in samples]
        return {
            "median_ms": round(statistics.median(values), 2),
            "p90_ms": round(statistics.quantiles(values, n=10)[-1], 2),
        }

    figures: dict = {
        "attempts_each": args.attempts,
        "hasher": settings.PASSWORD_HASHERS[0],
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "bound_ms": BOUND_MS,
    }
    # Wall-clock time is what a client sees; CPU time is the work the server did for it,
    # without the waits a busy machine adds to either side at random.
    for clock, index in (("wall", 0), ("cpu", 1)):
        known_figures, unknown_figures = summary(known, index), summary(unknown, index)
        difference = abs(known_figures["median_ms"] - unknown_figures["median_ms"])
        figures[clock] = {
            "known": known_figures,
            "unknown": unknown_figures,
            "median_difference_ms": round(difference, 2),
            "within_bound": difference <= BOUND_MS,
        }
    figures["within_bound"] = figures["wall"]["within_bound"]
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["within_bound"] else 1


if __name__ == "__main__":
    sys.exit(main())
