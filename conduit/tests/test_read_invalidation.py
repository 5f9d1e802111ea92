"""The read cache forgets after exactly the events that can change a read: each registered
event class is wired to a handler that forgets reads (`forget_*`) if and only if it says it
changes reads, and publishing one through the real bus renews a stamp if and only if it does.
Which reads each event forgets, and that none is stale after it, is
conduit/tests/test_scoped_reads.py."""

import dataclasses
import typing

import pytest
from django.core.cache import caches

from conduit.readcache import (
    EVERYTHING,
    LISTS,
    ROWS,
    article_scope,
    feed_scope,
    followers_scope,
    forget_everything,
    stamp_key,
    user_scope,
    viewer_scope,
)
from events import bus
from events.core.event import Event
from events.core.wiring import handler_tables
from events.ops.catalog import catalogued_event_types

pytestmark = pytest.mark.django_db

SAMPLES: dict[object, object] = {int: 1, str: "x", bool: True, float: 1.0}
# Every scope a sample event (ids 1) can touch.
SCOPES = (
    EVERYTHING,
    ROWS,
    LISTS,
    article_scope(1),
    user_scope(1),
    viewer_scope(1),
    feed_scope(1),
    followers_scope(1),
)


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


def forgets_reads(handler: object) -> bool:
    return handler is forget_everything or getattr(handler, "__name__", "").startswith("forget_")


def invalidation_wired() -> set[type[Event]]:
    return {
        event_type
        for table in handler_tables().values()
        for event_type, handlers in table.items()
        if any(forgets_reads(handler) for handler in handlers)
    }


def stamps() -> dict[str, object]:
    return {scope: caches["default"].get(stamp_key(scope)) for scope in SCOPES}


@pytest.mark.parametrize("event_type", catalogued_event_types(), ids=lambda cls: cls.type_name)
def test_an_event_forgets_reads_exactly_when_it_changes_them(
    event_type, django_capture_on_commit_callbacks
):
    assert (event_type in invalidation_wired()) == event_type.changes_reads
    caches["default"].set_many({stamp_key(scope): "before" for scope in SCOPES})

    with django_capture_on_commit_callbacks(execute=True):
        bus.publish(sample(event_type))

    renewed = {scope for scope, stamp in stamps().items() if stamp != "before"}
    assert bool(renewed) == event_type.changes_reads, renewed


def test_a_login_and_tag_facts_leave_the_reads_alone():
    unchanged = {cls.type_name for cls in catalogued_event_types() if not cls.changes_reads}

    assert {"users.UserLoggedIn", "tags.TagUsed", "tags.TagCreated"} <= unchanged
