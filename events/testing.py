"""Test doubles for the event bus.

def test_alice_registers(mock_event_bus):
    ...
    mock_event_bus.assert_event_published(UserRegistered, username="alice")
"""

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from events import bus as event_bus
from events.base import Event


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
        field-by-field diff of the candidates otherwise."""
        candidates = self.events_of(event_type)
        for event in candidates:
            if all(getattr(event, name, _MISSING) == value for name, value in fields.items()):
                return event
        raise AssertionError(_describe_miss(event_type, fields, candidates, self.published))

    def assert_nothing_published(self) -> None:
        if self.published:
            names = ", ".join(type(event).__name__ for event in self.published)
            raise AssertionError(f"Expected no events, but these were published: {names}")


_MISSING = object()


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
