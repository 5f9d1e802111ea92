"""Events and handlers that exist only for the event system's own tests."""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from events import bus
from events.core.context import handling
from events.core.event import Event
from events.core.wiring import handles_batches


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleHappened(Event):
    """A sample event, published by tests."""

    type_name: ClassVar[str] = "tests.SampleHappened"
    aggregate_type: ClassVar[str] = "sample"
    aggregate_id_field: ClassVar[str] = "sample_id"

    sample_id: int
    names: tuple[str, ...] = ()
    marker_path: str = ""
    sleep_seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecialSampleHappened(SampleHappened):
    """A subclass of SampleHappened."""

    type_name: ClassVar[str] = "tests.SpecialSampleHappened"


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleFollowedUp(Event):
    """Published by a background handler: its audit record is the handler's visible effect."""

    type_name: ClassVar[str] = "tests.SampleFollowedUp"

    sample_id: int


calls: list[tuple[str, Any]] = []


def remember(event: Event) -> None:
    calls.append(("remember", event))


def remember_too(event: Event) -> None:
    calls.append(("remember_too", event))


def explode(event: Event) -> None:
    calls.append(("explode", event))
    raise RuntimeError("handler exploded")


def follow_up(event: SampleHappened) -> None:
    """Background: publish a follow-up event (a database effect the tests can count)."""
    bus.publish(SampleFollowedUp(sample_id=event.sample_id))


def released(marker: Path) -> Path:
    """The file that ends the nap of `follow_up_after_a_nap` early: the test decides when the
    delivery in hand finishes, so a busy machine cannot finish it before the test acts."""
    return marker.with_name(marker.name + ".release")


def follow_up_after_a_nap(event: SampleHappened) -> None:
    """Background: the first run leaves a marker and sleeps (to be killed) until
    `sleep_seconds` have passed or the test releases it (`release(marker)`); later runs don't."""
    marker = Path(event.marker_path)
    if not marker.exists():
        marker.write_text("started")
        deadline = time.monotonic() + event.sleep_seconds
        while time.monotonic() < deadline and not released(marker).exists():
            time.sleep(0.05)
    bus.publish(SampleFollowedUp(sample_id=event.sample_id))


def fail_in_background(event: SampleHappened) -> None:
    raise RuntimeError("background handler failed")


async def follow_up_async(event: SampleHappened) -> None:
    from asgiref.sync import sync_to_async

    await sync_to_async(bus.publish)(SampleFollowedUp(sample_id=event.sample_id))


flaky_failures_left = 0


def flaky_follow_up(event: SampleHappened) -> None:
    """Background: fails while `flaky_failures_left` is positive, then publishes a follow-up."""
    global flaky_failures_left
    if flaky_failures_left > 0:
        flaky_failures_left -= 1
        raise RuntimeError("not yet")
    bus.publish(SampleFollowedUp(sample_id=event.sample_id))


def note_run_and_follow_up(event: SampleHappened) -> None:
    """Background: appends the sample id to `marker_path` (one line per run, outside the
    database: what a run twice would show), then publishes a follow-up."""
    with open(event.marker_path, "a") as runs:
        runs.write(f"{event.sample_id}\n")
    time.sleep(event.sleep_seconds)
    bus.publish(SampleFollowedUp(sample_id=event.sample_id))


# A batch handler: each call's sample ids, in order; a negative sample id fails its batch.
batches: list[list[int]] = []


@handles_batches
def follow_up_batch(events: Sequence[SampleHappened]) -> None:
    """Background, in batches: publish one follow-up per event, as that event's effect."""
    batches.append([event.sample_id for event in events])
    for event in events:
        if event.sample_id < 0:
            raise RuntimeError(f"sample {event.sample_id} is bad")
        with handling(event.event_id):
            bus.publish_once(SampleFollowedUp(sample_id=event.sample_id))


@handles_batches
def note_batch(events: Sequence[SampleHappened]) -> None:
    """Background, in batches: one line per call in the first event's `marker_path`, the
    batch's sample ids (what a worker process gave it at once)."""
    with open(events[0].marker_path, "a") as runs:
        runs.write(",".join(str(event.sample_id) for event in events) + "\n")
