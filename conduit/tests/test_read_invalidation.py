"""The read cache forgets after exactly the events that can change a read: each registered
event class is wired to invalidation if and only if it says it changes reads, and publishing
one through the real bus replaces the stamp if and only if it does."""

import dataclasses
import typing

import pytest
from django.core.cache import caches

from conduit.readcache import VERSION_KEY, invalidate_read_cache
from events import bus
from events.core.event import Event
from events.core.wiring import handler_tables
from events.ops.catalog import catalogued_event_types

pytestmark = pytest.mark.django_db

SAMPLES: dict[object, object] = {int: 1, str: "x", bool: True, float: 1.0}


def sample(event_type: type[Event]) -> Event:
    """An instance with a plausible value in every field."""
    hints = typing.get_type_hints(event_type)
    values = {}
    for field in dataclasses.fields(event_type):
        if field.name in ("event_id", "occurred_at"):
            continue
        hint = hints[field.name]
        options = typing.get_args(hint) if typing.get_origin(hint) is not tuple else ()
        kind = next((option for option in options if option in SAMPLES), hint)
        values[field.name] = () if typing.get_origin(hint) is tuple else SAMPLES.get(kind)
    return event_type(**values)


def invalidation_wired() -> set[type[Event]]:
    return {
        event_type
        for table in handler_tables().values()
        for event_type, handlers in table.items()
        if invalidate_read_cache in handlers
    }


@pytest.mark.parametrize("event_type", catalogued_event_types(), ids=lambda cls: cls.type_name)
def test_an_event_invalidates_the_reads_exactly_when_it_changes_them(
    event_type, django_capture_on_commit_callbacks
):
    assert (event_type in invalidation_wired()) == event_type.changes_reads
    caches["default"].set(VERSION_KEY, "before")

    with django_capture_on_commit_callbacks(execute=True):
        bus.publish(sample(event_type))

    assert (caches["default"].get(VERSION_KEY) != "before") == event_type.changes_reads


def test_a_login_and_tag_facts_leave_the_reads_alone():
    unchanged = {cls.type_name for cls in catalogued_event_types() if not cls.changes_reads}

    assert {"users.UserLoggedIn", "tags.TagUsed", "tags.TagCreated"} <= unchanged
