"""Who and what caused the events being published now: actor, request, causing event.

Set by the request middleware, the authentication class and the delivery code; read by the
bus when it writes an EventRecord. A contextvar, so threads and asyncio tasks each see their own.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from uuid import UUID


@dataclass(frozen=True, slots=True)
class EventContext:
    actor_id: int | None = None
    request_id: str = ""
    causation_id: UUID | None = None


_EMPTY = EventContext()
_current: ContextVar[EventContext] = ContextVar("conduit_event_context", default=_EMPTY)


def current_context() -> EventContext:
    return _current.get()


@contextmanager
def event_context(**changes: object) -> Iterator[EventContext]:
    """Run a block with some context fields replaced; the previous context comes back after."""
    context = replace(_current.get(), **changes)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def bind_actor(actor_id: int | None) -> None:
    """Record the authenticated user for the rest of the current request."""
    _current.set(replace(_current.get(), actor_id=actor_id))
