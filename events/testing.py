"""Test doubles for the event bus, and whole-event comparison.

def test_alice_registers(mock_event_bus):
    ...
    mock_event_bus.assert_published_exactly([UserRegistered(user_id=..., username="alice", ...)])

Events compare as whole dataclasses, minus the two fields a test cannot know in advance:
`event_id` and `occurred_at`.
"""

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from events.core import bus as event_bus
from events.core import operations
from events.core.event import Event
from events.models import EventRecord
from events.outbox import event_from_record


class MockEventBus:
    """Records published events instead of delivering them; nothing touches the database."""

    def __init__(self) -> None:
        self.published: list[Event] = []

    @property
    def call_count(self) -> int:
        return len(self.published)

    def publish(self, event: Event) -> None:
        self.published.append(event)

    async def publish_async(self, event: Event) -> None:
        self.published.append(event)

    def subscribe(self, event_type: type[Event], handler: Any, *, background: bool = False) -> None:
        pass

    def subscribe_async(self, event_type: type[Event], handler: Any) -> None:
        pass

    def reset(self) -> None:
        self.published.clear()

    def events_of(self, event_type: type[Event]) -> list[Event]:
        return [event for event in self.published if isinstance(event, event_type)]

    def assert_event_published(self, event_type: type[Event], **fields: Any) -> Event:
        """The one published `event_type` event whose fields equal `fields`; raises with a
        field-by-field diff of the candidates otherwise. To find an event among others; an
        event test asserts whole events with `assert_published_exactly`."""
        candidates = self.events_of(event_type)
        for event in candidates:
            if all(getattr(event, name, _MISSING) == value for name, value in fields.items()):
                return event
        raise AssertionError(_describe_miss(event_type, fields, candidates, self.published))

    def assert_published_exactly(self, expected: Iterable[Event]) -> None:
        """These events and no other, in this order (event_id and occurred_at aside)."""
        assert_same_events(self.published, expected)

    def assert_nothing_published(self) -> None:
        if self.published:
            names = ", ".join(type(event).__name__ for event in self.published)
            raise AssertionError(f"Expected no events, but these were published: {names}")


_MISSING = object()
_ANY_ID = UUID(int=0)
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def recorded(*event_types: type[Event]) -> list[Event]:
    """The events of these types in the audit trail, rebuilt, in the order they happened."""
    records = EventRecord.objects.filter(type__in=[cls.type_name for cls in event_types])
    return [event_from_record(record) for record in records.order_by("occurred_at", "event_id")]


def without_identity(event: Event) -> Event:
    """The event with `event_id` and `occurred_at` blanked, for equality on everything else."""
    return dataclasses.replace(event, event_id=_ANY_ID, occurred_at=_ANY_TIME)


def assert_same_events(actual: Iterable[Event], expected: Iterable[Event]) -> None:
    """`actual` equals `expected`, event by event and in order, event_id and occurred_at
    aside; raises with both lists otherwise."""
    actual, expected = list(actual), list(expected)
    if [without_identity(e) for e in actual] == [without_identity(e) for e in expected]:
        return
    lines = ["Published events differ (event_id and occurred_at aside)."]
    for index in range(max(len(actual), len(expected))):
        got = _describe(actual[index]) if index < len(actual) else "(nothing)"
        want = _describe(expected[index]) if index < len(expected) else "(nothing)"
        mark = "  " if got == want else "- "
        lines.append(f"{mark}#{index}: expected {want}")
        if got != want:
            lines.append(f"       got      {got}")
    raise AssertionError("\n".join(lines))


def _describe(event: Event) -> str:
    fields = ", ".join(
        f"{field.name}={getattr(event, field.name)!r}"
        for field in dataclasses.fields(event)
        if field.name not in ("event_id", "occurred_at")
    )
    return f"{type(event).__name__}({fields})"


def _describe_miss(
    event_type: type[Event], fields: dict[str, Any], candidates: list[Event], published: list[Event]
) -> str:
    lines = [f"No {event_type.__name__} published with {fields!r}."]
    if not candidates:
        kinds = ", ".join(type(event).__name__ for event in published) or "none"
        lines.append(f"Events published: {kinds}.")
    for index, event in enumerate(candidates, 1):
        lines.append(f"Candidate {index}:")
        values = {field.name: getattr(event, field.name) for field in dataclasses.fields(event)}
        for name, expected in fields.items():
            actual = values.get(name, "<no such field>")
            mark = "  " if actual == expected else "- "
            lines.append(f"  {mark}{name}: expected {expected!r}, got {actual!r}")
    return "\n".join(lines)


@pytest.fixture
def mock_event_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockEventBus]:
    """Swap the shared bus for a MockEventBus for one test."""
    mock = MockEventBus()
    monkeypatch.setattr(event_bus, "shared_event_bus", mock)
    yield mock


class OperationClock:
    """The clock bulk operations measure their duration with (events.core.operations), held
    still unless a test moves it on: `operation_clock.advance(1.5)`."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def operation_clock(monkeypatch: pytest.MonkeyPatch) -> OperationClock:
    """Bulk operations last exactly as long as the test says (0 ms unless it advances the
    clock), so a BulkOperationCompleted compares whole."""
    clock = OperationClock()
    monkeypatch.setattr(operations, "_clock", clock)
    return clock
