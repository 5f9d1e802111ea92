"""The event bus: Django signals as the transport, the outbox as the memory.

`publish(event)`, inside the caller's transaction, hands the event to the bus's outbox (the
audit record and one durable delivery per background subscriber, events/outbox.py); after
commit it sends the event's signal to the inline subscribers with `send_robust`. Inside a
unit of work (events/core/unit_of_work.py: the services' transactions) the event waits for the
unit's end, where all of its events are recorded together. A rollback leaves nothing behind.
The outbox is plugged in at start-up (events/bootstrap.py), so the core imports no model.
"""

import dataclasses
import inspect
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from time import perf_counter
from typing import Any, Protocol
from uuid import UUID, uuid5

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import Signal

from events.core import metrics, unit_of_work
from events.core.context import (
    Origin,
    current_context,
    current_origin,
    enter_dispatch,
    leave_dispatch,
)
from events.core.event import Event
from events.core.operations import note_published
from events.core.unit_of_work import PendingEvent

logger = logging.getLogger(__name__)
_record_sample = metrics.record_sample

Handler = Callable[[Any], Any]


class Outbox(Protocol):
    """What a publish writes, and where a failed inline handler is remembered."""

    def record(self, event: Event, handlers: tuple[str, ...]) -> list[UUID]:
        """In the publisher's transaction: the audit record and one delivery per background
        handler; returns the deliveries' ids."""

    def record_many(self, pending: Sequence[PendingEvent]) -> list[UUID]:
        """At the end of a unit of work, in its transaction: the audit records of all its
        events in one INSERT, and all their deliveries in one more (or in the same one);
        returns their ids."""

    def deliver_now(self, delivery_ids: list[UUID]) -> None:
        """After commit, with EVENTS_DELIVER_ON_COMMIT: run those deliveries in this process."""

    def handler_failed(self, event: Event, handler: str, exc: Exception) -> None:
        """An inline handler raised after commit: keep a failed delivery to retry."""


class NoOutboxError(RuntimeError):
    pass


def handler_path(handler: Handler) -> str:
    """The dotted path a handler is known by (and imported from, in the worker)."""
    return f"{handler.__module__}.{handler.__qualname__}"


class InlineReceiver:
    """What the signal calls: runs one handler on the event and times it."""

    def __init__(self, handler: Handler, path: str) -> None:
        self.handler = handler
        self.path = path
        # Signal.send_robust names a failing receiver by its __qualname__.
        self.__qualname__ = path

    def __call__(self, signal: Signal, sender: type, event: Event, **kwargs: Any) -> Any:
        # The hot path of dispatch: two clock reads and a deque append (events/core/metrics.py).
        start = perf_counter()
        try:
            result = self.handler(event)
        except Exception:
            _record_sample((self.path, "inline", False, perf_counter() - start))
            raise
        _record_sample((self.path, "inline", True, perf_counter() - start))
        return result


@dataclass(frozen=True, slots=True)
class Route:
    """Where events of one concrete class go: their signals (own and base classes') and the
    background handlers subscribed to any of those classes."""

    signals: tuple[Signal, ...]
    background: tuple[str, ...]


class EventBus:
    def __init__(self, outbox: Outbox | None = None) -> None:
        self._outbox = outbox
        self._signals: dict[type[Event], Signal] = {}
        self._background: dict[type[Event], list[str]] = {}
        self._routes: dict[type[Event], Route] = {}
        self._lock = threading.Lock()

    def use_outbox(self, outbox: Outbox) -> None:
        """Where publishes are recorded (events/bootstrap.py plugs in the database's)."""
        self._outbox = outbox

    # Subscribing -------------------------------------------------------------------------

    def signal_for(self, event_type: type[Event]) -> Signal:
        with self._lock:
            if event_type not in self._signals:
                self._signals[event_type] = Signal(use_caching=True)
            return self._signals[event_type]

    def subscribe(
        self, event_type: type[Event], handler: Handler, *, background: bool = False
    ) -> None:
        """Call `handler(event)` for every committed `event_type` event (or subclass event):
        inline, right after commit in the publishing process; or in the worker, durably."""
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise TypeError(f"{event_type!r} is not an Event class.")
        path = handler_path(handler)
        if background:
            with self._lock:
                paths = self._background.setdefault(event_type, [])
                if path not in paths:
                    paths.append(path)
        else:
            if inspect.iscoroutinefunction(handler):
                raise TypeError(f"{path} is a coroutine: use subscribe_async().")
            self.signal_for(event_type).connect(
                InlineReceiver(handler, path), weak=False, dispatch_uid=path
            )
        self._routes.clear()

    def subscribe_async(self, event_type: type[Event], handler: Handler) -> None:
        """Subscribe a coroutine handler; it runs in the background worker."""
        if not inspect.iscoroutinefunction(handler):
            raise TypeError(f"{handler_path(handler)} is not a coroutine function.")
        self.subscribe(event_type, handler, background=True)

    def subscribers(self, event_type: type[Event]) -> dict[str, list[str]]:
        """Handler paths that receive `event_type` events, inline and background."""
        inline = [
            receiver.path
            for cls in _event_classes(event_type)
            if cls in self._signals
            for receiver in _receivers(self._signals[cls])
        ]
        return {"inline": inline, "background": list(self.route_for(event_type).background)}

    def route_for(self, event_type: type[Event]) -> Route:
        route = self._routes.get(event_type)
        if route is None:
            classes = _event_classes(event_type)
            route = Route(
                signals=tuple(
                    self._signals[cls]
                    for cls in classes
                    if cls in self._signals and self._signals[cls].receivers
                ),
                background=tuple(
                    dict.fromkeys(path for cls in classes for path in self._background.get(cls, []))
                ),
            )
            self._routes[event_type] = route
        return route

    # Publishing --------------------------------------------------------------------------

    def publish(self, event: Event) -> None:
        outbox = self._require_outbox()
        route = self.route_for(type(event))
        if event.audited:
            if unit_of_work.collect(self, event, route.background):
                # Recorded with the unit's other events, just before its commit.
                delivery_ids = []
            else:
                # One transaction for record and deliveries, without a savepoint inside the
                # caller's.
                with transaction.atomic(savepoint=False):
                    delivery_ids = outbox.record(event, route.background)
        else:
            # Nothing is written (a page view): no transaction, which would cost a read
            # ~20 µs (events/outbox.py refuses such an event a background handler).
            delivery_ids = outbox.record(event, route.background)
        metrics.record_published(event.type_name)
        if route.signals and not event.audited:
            # Nothing to commit, so nothing to wait for: its inline handlers run at once (and
            # keep to memory: they may run inside the publisher's transaction). It saves a
            # view ~7 µs of on_commit's bookkeeping on the read path.
            self.dispatch(event, route.signals, current_origin())
        elif route.signals:
            dispatch = partial(self.dispatch, event, route.signals, current_origin())
            transaction.on_commit(dispatch, robust=True)
        if delivery_ids and settings.EVENTS_DELIVER_ON_COMMIT:
            transaction.on_commit(partial(outbox.deliver_now, delivery_ids), robust=True)

    def record_pending(self, pending: list[PendingEvent]) -> None:
        """A unit of work ends (events/core/unit_of_work.py): its events and their deliveries,
        two INSERTs in its transaction; the deliveries run after commit as a publish's do."""
        outbox = self._require_outbox()
        delivery_ids = outbox.record_many(pending)
        if delivery_ids and settings.EVENTS_DELIVER_ON_COMMIT:
            transaction.on_commit(partial(outbox.deliver_now, delivery_ids), robust=True)

    def _require_outbox(self) -> Outbox:
        if self._outbox is None:
            raise NoOutboxError(
                "This EventBus has no outbox to record events in: EventsConfig.ready() plugs "
                "in the database's; a bus made by hand takes one: EventBus(outbox=...)."
            )
        return self._outbox

    async def publish_async(self, event: Event) -> None:
        # thread_sensitive: the same thread, connection and transaction as the caller's ORM calls.
        await sync_to_async(self.publish, thread_sensitive=True)(event)

    def dispatch(self, event: Event, signals: tuple[Signal, ...], published_in: Origin) -> None:
        """Send a committed event to its inline handlers, in the context it was published in.
        Nothing raised here reaches the publisher: `send_robust` logs a failure with its
        traceback; we count it and record it for `events_retry`."""
        tokens = enter_dispatch(published_in, event.event_id)
        try:
            for signal in signals:
                for receiver, result in signal.send_robust(type(event), event=event):
                    if isinstance(result, Exception):
                        self._inline_handler_failed(event, receiver, result)
        finally:
            leave_dispatch(tokens)

    def _inline_handler_failed(self, event: Event, receiver: Any, exc: Exception) -> None:
        path = getattr(receiver, "path", repr(receiver))
        logger.error(
            "Inline handler %s failed on %s %s: %r; recorded as a failed delivery",
            path,
            event.type_name,
            event.event_id,
            exc,
        )
        try:
            if self._outbox is None:
                raise NoOutboxError("no outbox to record the failed delivery in")
            self._outbox.handler_failed(event, path, exc)
        except Exception:
            logger.exception(
                "Could not record the failed delivery of %s to %s", event.event_id, path
            )


def _event_classes(event_type: type[Event]) -> list[type[Event]]:
    return [cls for cls in event_type.__mro__ if isinstance(cls, type) and issubclass(cls, Event)]


def _receivers(signal: Signal) -> list[InlineReceiver]:
    # Signal keeps (lookup_key, receiver, ...) tuples; ours are strong references.
    found = []
    for entry in signal.receivers:
        receiver = entry[1]
        if isinstance(receiver, InlineReceiver):
            found.append(receiver)
    return found


shared_event_bus = EventBus()


def publish(event: Event) -> None:
    """Publish on the shared bus (looked up at call time, so tests can swap it), counted
    into the bulk operation running, if any (events/core/operations.py)."""
    shared_event_bus.publish(event)
    note_published(event.type_name)


# Names the ids of events derived from the event that caused them (publish_once).
CAUSED_EVENT_NAMESPACE = UUID("6f1d3a52-5c8e-4d7e-9a57-0c0d1b8e2f41")


def publish_once(event: Event, *, key: str = "") -> bool:
    """Publish an effect of the event being handled (the context's causation id: a background
    handler's event) at most once, whatever runs again: its event_id is derived from the
    cause, its type and `key`, so the audit trail's primary key refuses a second one, and a
    handler run again with its receipt gone publishes nothing. False when it was published
    before; without a cause, a plain publish (True)."""
    cause = current_context().causation_id
    if cause is None:
        publish(event)
        return True
    event_id = caused_event_id(event, cause=cause, key=key)
    try:
        # A savepoint of its own: the record is written now, even inside a unit of work.
        with transaction.atomic():
            publish(dataclasses.replace(event, event_id=event_id))
    except IntegrityError:
        return False
    return True


def caused_event_id(event: Event, *, cause: UUID, key: str = "") -> UUID:
    """The one id an effect of `cause` (of this type, with this `key`) can have (publish_once).
    A batch handler that publishes many such effects in one unit of work checks which ids
    the audit trail holds already, and publishes the others with their ids: a concurrent
    twin's then makes the whole batch fail, and its events run one at a time."""
    return uuid5(CAUSED_EVENT_NAMESPACE, f"{cause}:{event.type_name}:{key}")


async def publish_async(event: Event) -> None:
    await shared_event_bus.publish_async(event)
    note_published(event.type_name)


def subscribe(event_type: type[Event], handler: Handler, *, background: bool = False) -> None:
    shared_event_bus.subscribe(event_type, handler, background=background)


def subscribe_async(event_type: type[Event], handler: Handler) -> None:
    shared_event_bus.subscribe_async(event_type, handler)
