from contextlib import contextmanager

import pytest
from django.db import transaction

from events import bus as event_bus
from events.bootstrap import database_outbox
from events.core.bus import EventBus
from events.tests import support


@pytest.fixture
def fresh_bus(monkeypatch: pytest.MonkeyPatch) -> EventBus:
    """A real EventBus with no subscribers, standing in for the shared one."""
    bus = EventBus(outbox=database_outbox())
    monkeypatch.setattr(event_bus, "shared_event_bus", bus)
    support.calls.clear()
    return bus


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the block in a transaction and then its on-commit
    callbacks, as a real commit would (the test's own transaction never commits)."""

    @contextmanager
    def block():
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            yield

    return block
