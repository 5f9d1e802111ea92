"""Events and handlers that exist only for the event system's own tests."""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from events import bus
from events.core.event import Event


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


def follow_up_after_a_nap(event: SampleHappened) -> None:
    """Background: the first run leaves a marker and sleeps (to be killed); later runs don't."""
    marker = Path(event.marker_path)
    if not marker.exists():
        marker.write_text("started")
        time.sleep(event.sleep_seconds)
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
