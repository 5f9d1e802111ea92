"""One slow endpoint never delays the others: 1,000 events to three endpoints, two fast and
one that answers each request after 5 s; the fast two receive all of theirs within 20% of
the time they take when the slow one is absent, and the slow one still receives all of its
own. The sender's per-endpoint concurrency is raised (100) so that the slow one's 1,000 take
50 s, not the 625 s of the default 8 slots: the shape (a slow endpoint holding every one of
its slots the whole time) is the same. WEBHOOKS_TEST_SLOW_SECONDS changes the delay.

The receiver runs in a process of its own and notes when each path's last request arrived
(on the host's monotonic clock, which this process reads too), so a time is the sender's
alone: from the start of the drain to the last arrival, not to whenever the test next
polled, nor to the end of the slow answers still in flight when the fast pair is done.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conduit.tests.processes import Sessions
from events import bus
from events.core.unit_of_work import unit_of_work
from events.system.webhooks import services
from events.system.webhooks.models import Delivery
from events.system.webhooks.sender import Sender
from events.tests.support import SampleHappened

pytestmark = pytest.mark.django_db

EVENTS = 1000
SLOW_SECONDS = float(os.environ.get("WEBHOOKS_TEST_SLOW_SECONDS", "5.0"))
# Slots per endpoint: the slow one's 1,000 take 1000 x 5 / 100 = 50 s.
PER_ENDPOINT = 100
# The bound: the fast pair beside the slow one within 20% of its time alone.
BOUND = 1.2


def publish(count: int) -> None:
    with unit_of_work():
        for i in range(count):
            bus.publish(SampleHappened(sample_id=i))


class RemoteReceiver:
    """receiver_process.py, in a session of its own (killed after the test)."""

    def __init__(self, sessions: Sessions) -> None:
        script = Path(__file__).with_name("receiver_process.py")
        self.process = sessions.popen(
            [sys.executable, str(script), "--slow", str(SLOW_SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.process.stdout.readline())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str):
        with urllib.request.urlopen(self.url(path), timeout=30) as response:
            return json.loads(response.read())

    def count(self, path: str) -> int:
        return self.get("/_counts").get(path, 0)

    def ids(self, path: str) -> list[str]:
        return self.get(f"/_ids?path={path}")

    def last(self, path: str) -> float:
        """When the path's last request arrived (time.monotonic() of the host)."""
        return self.get(f"/_last?path={path}")


@pytest.fixture
def remote(sessions) -> RemoteReceiver:
    return RemoteReceiver(sessions)


def endpoints(receiver, *paths: str):
    made = [services.endpoint_create(url=receiver.url(p), event_types=["*"])[0] for p in paths]
    Delivery.objects.all().delete()
    return made


def all_arrived(receiver, *paths: str):
    def arrived() -> bool:
        counts = receiver.get("/_counts")
        return all(counts.get(path, 0) >= EVENTS for path in paths)

    return arrived


class Every:
    """`condition`, asked at most every `seconds` (it asks the receiver over HTTP)."""

    def __init__(self, seconds: float, condition) -> None:
        self.seconds, self.condition, self.last, self.result = seconds, condition, 0.0, False

    def __call__(self) -> bool:
        if time.monotonic() - self.last >= self.seconds:
            self.last, self.result = time.monotonic(), self.condition()
        return self.result


def timed_drain(sender: Sender, receiver: RemoteReceiver, *paths: str) -> float:
    """Send until every path received all of its events; the seconds from the start to the
    last of those arrivals."""
    condition = all_arrived(receiver, *paths)
    start = time.monotonic()
    sender.drain(timeout=300, until=Every(0.1, condition))
    assert condition(), "not every delivery arrived"
    return max(receiver.last(path) for path in paths) - start


@pytest.mark.alone  # it times the drains: .ci/run runs it by itself (pytest -n 0 -m alone)
def test_a_slow_endpoint_does_not_delay_the_others(private_allowed, remote):
    """The fast pair's time beside the slow one is compared with its time alone, measured
    before and after (their mean, so that a change in the machine's load during the test
    weighs on both sides)."""
    receiver = remote
    sender = Sender(concurrency=3 * PER_ENDPOINT, per_endpoint=PER_ENDPOINT)

    def fast_pair_alone(first: str, second: str) -> float:
        made = endpoints(receiver, first, second)
        publish(EVENTS)
        seconds = timed_drain(sender, receiver, first, second)
        for endpoint in made:
            services.endpoint_update(endpoint, active=False)
        return seconds

    try:
        before = fast_pair_alone("/a1", "/a2")
        made = endpoints(receiver, "/b1", "/b2", "/slow")
        publish(EVENTS)
        start = time.monotonic()
        with_slow = timed_drain(sender, receiver, "/b1", "/b2")
        slow_when_fast_done = receiver.count("/slow")
        timed_drain(sender, receiver, "/slow")
        slow_total = receiver.last("/slow") - start
        for endpoint in made:
            services.endpoint_update(endpoint, active=False)
        after = fast_pair_alone("/c1", "/c2")
    finally:
        sender.pool.shutdown(wait=True, cancel_futures=True)

    alone = (before + after) / 2
    print(
        f"fast pair alone {before:.2f}s and {after:.2f}s, beside the slow one {with_slow:.2f}s "
        f"(ratio {with_slow / alone:.2f}); slow one done after {slow_total:.2f}s"
    )
    assert with_slow <= BOUND * alone, (with_slow, before, after)
    # Served concurrently: the fast pair was done while the slow one was still receiving.
    assert slow_when_fast_done < EVENTS, (slow_when_fast_done, with_slow, slow_total)
    for path in ("/b1", "/b2", "/slow"):
        ids = receiver.ids(path)
        assert len(ids) == len(set(ids)) == EVENTS, path
    samples = Delivery.objects.filter(event_type="tests.SampleHappened")
    assert set(samples.values_list("status", flat=True)) == {"delivered"}
