"""Who and what caused the events being published now: actor, request, causing event.

Set by the request middleware, the authentication class and the delivery code; read by the
bus when it writes an EventRecord. A contextvar, so threads and asyncio tasks each see their own.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import NamedTuple
from uuid import UUID


class EventContext(NamedTuple):
    # A NamedTuple: made on every dispatch, and cheaper to build than a frozen dataclass.
    actor_id: int | None = None
    request_id: str = ""
    causation_id: UUID | None = None


_EMPTY = EventContext()
_current: ContextVar[EventContext] = ContextVar("conduit_event_context", default=_EMPTY)


def current_context() -> EventContext:
    return _current.get()


def enter_context(context: EventContext) -> Token[EventContext]:
    """The fast path of `event_context` for the bus: set, then `leave_context(token)`."""
    return _current.set(context)


def leave_context(token: Token[EventContext]) -> None:
    _current.reset(token)


@contextmanager
def event_context(**changes: object) -> Iterator[EventContext]:
    """Run a block with some context fields replaced; the previous context comes back after."""
    context = _current.get()._replace(**changes)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def bind_actor(actor_id: int | None) -> None:
    """Record the authenticated user for the rest of the current request."""
    _current.set(_current.get()._replace(actor_id=actor_id))
