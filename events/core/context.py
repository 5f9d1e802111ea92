"""Who and what caused the events being published now: actor, request, causing event.

Set by the request middleware (events/middleware.py), the authentication class, the bus
(while it dispatches) and the deliver task; read by the outbox when it writes an EventRecord.
Contextvars, so threads and asyncio tasks each see their own. The request's part (`Origin`)
and the causing event live in two variables because dispatch changes only the second, once
per event, on the hot path.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import NamedTuple
from uuid import UUID


class Origin(NamedTuple):
    actor_id: int | None = None
    request_id: str = ""


class EventContext(NamedTuple):
    actor_id: int | None = None
    request_id: str = ""
    causation_id: UUID | None = None


_NO_ORIGIN = Origin()
_origin: ContextVar[Origin] = ContextVar("conduit_event_origin", default=_NO_ORIGIN)
_causation: ContextVar[UUID | None] = ContextVar("conduit_event_causation", default=None)
# While a batch handler runs: the origin of each event of its batch, by event id (`handling`).
_batch_origins: ContextVar[Mapping[UUID, Origin] | None] = ContextVar(
    "conduit_batch_origins", default=None
)

DispatchTokens = tuple[Token[Origin] | None, Token[UUID | None]]


def current_context() -> EventContext:
    origin = _origin.get()
    return EventContext(origin.actor_id, origin.request_id, _causation.get())


def current_origin() -> Origin:
    """What the bus keeps of a publisher's context, to dispatch in it after commit."""
    return _origin.get()


def enter_dispatch(origin: Origin, causation_id: UUID) -> DispatchTokens:
    """The bus's fast path: handlers of an event run in its publisher's origin, caused by it.
    Leave with `leave_dispatch(tokens)`."""
    origin_token = None if _origin.get() is origin else _origin.set(origin)
    return origin_token, _causation.set(causation_id)


def leave_dispatch(tokens: DispatchTokens) -> None:
    origin_token, causation_token = tokens
    _causation.reset(causation_token)
    if origin_token is not None:
        _origin.reset(origin_token)


@contextmanager
def event_context(
    *, actor_id: int | None = None, request_id: str = "", causation_id: UUID | None = None
) -> Iterator[EventContext]:
    """Run a block in the given context; the previous context comes back after."""
    origin_token = _origin.set(Origin(actor_id, request_id))
    causation_token = _causation.set(causation_id)
    try:
        yield current_context()
    finally:
        _causation.reset(causation_token)
        _origin.reset(origin_token)


def bind_actor(actor_id: int | None) -> None:
    """Record the authenticated user for the rest of the current request."""
    _origin.set(_origin.get()._replace(actor_id=actor_id))


@contextmanager
def batch_origins(origins: Mapping[UUID, Origin]) -> Iterator[None]:
    """Run a batch handler (events.core.wiring.handles_batches) knowing where each of its
    events came from, for `handling`."""
    token = _batch_origins.set(origins)
    try:
        yield
    finally:
        _batch_origins.reset(token)


@contextmanager
def handling(event_id: UUID) -> Iterator[EventContext]:
    """Inside a batch handler: what the block publishes is an effect of this one event (its
    publisher's actor and request, the event as its cause), as in a handler of that event
    alone."""
    origin = (_batch_origins.get() or {}).get(event_id) or _origin.get()
    with event_context(
        actor_id=origin.actor_id, request_id=origin.request_id, causation_id=event_id
    ) as context:
        yield context
