"""Let the schema find bugs: the Schemathesis command line, as anyone would run it
(`schemathesis run URL --checks all -n 15 --seed 11`), against the schema `make serve` serves,
with every check, every phase (its stateful phase follows the links the schema declares), the
rate limits on, once anonymously and once with a token. Zero failures: any server error, any
answer the schema does not describe, any valid request refused or invalid one accepted fails
the test. Bounded: 15 examples per operation and phase, a fixed seed, a timeout.

`pytest -m schemathesis` runs it (.ci/run does, on PostgreSQL); a plain `make test` leaves it
out (pyproject.toml)."""

import json
import re
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conduit.tests.serving import make_serve

# The database mark makes pytest-django create the test database even when this module runs
# alone (`pytest -m schemathesis`): `make serve` is pointed at it.
pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
TIMEOUT_SECONDS = 600  # a run takes 20-90 s on a busy 2-core machine
SUMMARY = re.compile(r"(\d+) generated, (\d+) passed")


@pytest.fixture(scope="module")
def served(django_db_setup, tmp_path_factory) -> Iterator[str]:
    """`make serve` (the rate limits on, as in production); its URL."""
    with make_serve(tmp_path_factory.mktemp("schemathesis"), RATE_LIMITS="on") as port:
        yield f"http://127.0.0.1:{port}"


def token_of_a_new_account(url: str) -> str:
    name = f"fuzzer{secrets.token_hex(4)}"  # the anonymous run may have taken any other name
    account = {"username": name, "email": f"{name}@example.com", "password": "fuzzer pass 1"}
    request = urllib.request.Request(
        f"{url}/api/users",
        data=json.dumps({"user": account}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["user"]["token"]


def schemathesis_run(url: str, folder: Path, *headers: str) -> tuple[int, str]:
    """Run in `folder`: Schemathesis keeps a cache of responses (`.schemathesis/`) where it
    runs, which would replay one run's answers in the next."""
    command = [str(SCHEMATHESIS), "run", f"{url}/api/schema", "--checks", "all"]
    command += ["-n", "15", "--seed", "11", "--request-timeout", "30", "--no-color"]
    for header in headers:
        command += ["-H", header]
    finished = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
    )
    return finished.returncode, finished.stdout + finished.stderr


@pytest.mark.parametrize("caller", ["anonymous", "with a token"])
def test_schemathesis_finds_nothing(served, caller, tmp_path):
    headers = []
    if caller == "with a token":
        headers.append(f"Authorization: Token {token_of_a_new_account(served)}")

    returncode, output = schemathesis_run(served, tmp_path, *headers)

    summary = SUMMARY.search(output)
    assert returncode == 0 and summary, output[-20000:]
    generated, passed = map(int, summary.groups())
    assert generated == passed, output[-20000:]
    assert generated > 500, output[-5000:]  # every operation was really exercised
    assert "Stateful" in output and "API Links:" in output  # the links were followed
    print(f"Schemathesis ({caller}): {generated} cases, 0 failures")
