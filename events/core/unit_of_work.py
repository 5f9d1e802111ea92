"""The unit of work: a service's transaction, whose events are written together at its end.

    @unit_of_work
    def article_create(*, author: User, ...) -> Article: ...

    with unit_of_work():
        ...

It is `transaction.atomic` (same arguments, same savepoints) plus a collector. Every audited
event the bus publishes inside the outermost unit is kept, with the context it was published
in (actor, request, causation), and when that unit ends, still inside its transaction, they are
appended to the audit trail in one INSERT and their deliveries enqueued in one more (the same
statement, on PostgreSQL): they exist
if and only if the change commits. A unit opened inside another joins it; when the inner one
rolls back to its savepoint, the events published inside it are dropped with its rows. The
bus still schedules each event's inline dispatch when it is published (after commit, in
publish order), and an unaudited event (a page view) never waits for anything.

A publish outside any unit is written at once, as it always was. So is one inside a savepoint
the unit did not open (a plain `transaction.atomic()` inside a service): that savepoint can
roll back on its own, taking its rows with it, which a collected event could not follow.

The core imports no model: what a unit collected goes back to the bus that published it
(`Sink.record_pending`), which hands it to its outbox.
"""

from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from functools import wraps
from types import TracebackType
from typing import NamedTuple, Protocol, overload

from django.db import transaction

from events.core.context import EventContext, current_context
from events.core.event import Event


class PendingEvent(NamedTuple):
    """An audited event published inside a unit of work, waiting for the unit's end."""

    event: Event
    # The background handlers it is delivered to (one delivery row each).
    background: tuple[str, ...]
    # Who and what caused it, as they were when it was published.
    context: EventContext


class Sink(Protocol):
    def record_pending(self, pending: list[PendingEvent]) -> None:
        """Write the events a unit collected (the bus: through its outbox)."""


@dataclass(slots=True)
class _Collector:
    """The outermost unit's events, and the savepoints its inner units opened."""

    # How many savepoints were open once the outermost unit had begun: those below it are
    # its caller's.
    base: int
    pending: list[tuple[Sink, PendingEvent]] = field(default_factory=list)
    # pending[:written] are in the database already (`flush_collected`).
    written: int = 0
    inner_savepoints: list[str] = field(default_factory=list)

    def takes_publish(self, savepoint_ids: list[str | None]) -> bool:
        """Whether an event published now can wait: no savepoint but its units' is open."""
        return all(
            sid is None or sid in self.inner_savepoints for sid in savepoint_ids[self.base :]
        )

    def rolled_back_to(self, mark: int, written: int) -> None:
        """An inner unit rolled back to its savepoint, opened when `mark` events were
        collected and `written` of them written: the events published since are dropped, and
        those written since (`flush_collected`) went with the savepoint's rows, to be written
        again."""
        del self.pending[mark:]
        self.written = min(self.written, written)

    def write(self) -> None:
        batches: dict[int, tuple[Sink, list[PendingEvent]]] = {}
        for sink, pending in self.pending[self.written :]:
            batches.setdefault(id(sink), (sink, []))[1].append(pending)
        self.written = len(self.pending)
        for sink, pending in batches.values():
            sink.record_pending(pending)


_collector: ContextVar[_Collector | None] = ContextVar("conduit_unit_of_work", default=None)


def collect(sink: Sink, event: Event, background: tuple[str, ...]) -> bool:
    """Keep an event, in the context it is published in, for the end of the current unit of
    work; False when there is none to keep it (outside a unit, or inside a savepoint the unit
    did not open): write it now."""
    collector = _collector.get()
    if collector is None:
        return False
    if not collector.takes_publish(transaction.get_connection().savepoint_ids):
        return False
    collector.pending.append((sink, PendingEvent(event, background, current_context())))
    return True


def flush_collected() -> None:
    """Write now what the current unit of work has collected: for a step of it that reads
    the audit trail (the redaction of an account's data), or that locks rows many writers
    wait for, which the unit's own INSERT at its end would keep locked a round trip longer
    (an article's counters). Nothing outside a unit."""
    collector = _collector.get()
    if collector is not None:
        collector.write()


class UnitOfWork:
    """One `unit_of_work()` block (see the module docstring)."""

    def __init__(self, *, savepoint: bool = True) -> None:
        self.savepoint = savepoint
        self._atomic: transaction.Atomic | None = None
        self._token: Token[_Collector | None] | None = None
        self._mark = self._written = 0
        self._sid: str | None = None

    def __call__[**P, R](self, func: Callable[P, R]) -> Callable[P, R]:
        savepoint = self.savepoint

        @wraps(func)
        def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            with UnitOfWork(savepoint=savepoint):
                return func(*args, **kwargs)

        return inner

    def __enter__(self) -> None:
        atomic = transaction.atomic(savepoint=self.savepoint)
        atomic.__enter__()
        self._atomic = atomic
        savepoint_ids = transaction.get_connection().savepoint_ids
        collector = _collector.get()
        if collector is None:
            self._token = _collector.set(_Collector(base=len(savepoint_ids)))
            return
        # Inside a unit the block is nested: atomic has pushed its savepoint (or None).
        self._mark, self._written = len(collector.pending), collector.written
        self._sid = savepoint_ids[-1]
        if self._sid is not None:
            collector.inner_savepoints.append(self._sid)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._atomic is not None
        try:
            self._end(failed=exc_type is not None)
        except BaseException as error:
            # Writing the events failed: the change must not commit without them.
            self._atomic.__exit__(type(error), error, error.__traceback__)
            raise
        self._atomic.__exit__(exc_type, exc, traceback)

    def _end(self, *, failed: bool) -> None:
        collector = _collector.get()
        assert collector is not None
        rolled_back = failed or transaction.get_rollback()
        if self._token is None:
            if self._sid is not None:
                collector.inner_savepoints.remove(self._sid)
            if rolled_back:
                collector.rolled_back_to(self._mark, self._written)
            return
        # The outermost unit: no later publish joins it (its commit runs the inline handlers,
        # whose own publishes are new transactions).
        _collector.reset(self._token)
        if not rolled_back:
            collector.write()


@overload
def unit_of_work[**P, R](func: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def unit_of_work(*, savepoint: bool = True) -> UnitOfWork: ...
def unit_of_work[**P, R](
    func: Callable[P, R] | None = None, /, *, savepoint: bool = True
) -> Callable[P, R] | UnitOfWork:
    """A service's transaction: `transaction.atomic` whose published events are written in
    one INSERT (and their deliveries in one more) when the outermost unit ends. As a
    decorator (`@unit_of_work`, `@unit_of_work(savepoint=False)`) or a `with` block."""
    if func is not None:
        return UnitOfWork(savepoint=savepoint)(func)
    return UnitOfWork(savepoint=savepoint)
