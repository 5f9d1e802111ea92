"""Bulk operations: work over many rows (an admin action on a selection, a maintenance
command, a background cleanup), measured while it runs and told once it completes.

    with bulk_operation("users.delete") as operation:
        for user in users:
            user_delete(user=user)
            operation.done()

While the block runs, every event published through `events.bus` is counted by type. When
the block completes without an exception and changed something, the reporter that
events/bootstrap.py plugs in publishes one `BulkOperationCompleted`
(events/ops/events.py), in the caller's transaction when there is one. So the apps
say where an operation begins and ends and what each item came to, and never name a system
event (the domain does not import events.system). An operation opened inside another is part
of it: it counts its own items, the events published inside it are counted into the outermost
one, and only the outermost one is told.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


def _clock() -> float:
    return time.monotonic()


@dataclass(slots=True)
class BulkOperation:
    """One run of an operation: how many items it was asked to act on (`count`), how many it
    changed (`succeeded`) and how many needed no change or were gone (`skipped`)."""

    kind: str
    count: int = 0
    succeeded: int = 0
    skipped: int = 0
    details: list[str] = field(default_factory=list)
    events_published: Counter[str] = field(default_factory=Counter)
    # Looked up at each start, so a test can set the clock (events.testing.operation_clock).
    started: float = field(default_factory=lambda: _clock())

    def done(self, items: int = 1) -> None:
        """`items` more items were acted on and changed."""
        self.count += items
        self.succeeded += items

    def skip(self, items: int = 1) -> None:
        """`items` more items needed no change, or were gone meanwhile."""
        self.count += items
        self.skipped += items

    def note(self, detail: str) -> None:
        """Say something more about the run, in words ("3 deliveries, 1 task result")."""
        self.details.append(detail)

    @property
    def changed_anything(self) -> bool:
        return self.succeeded > 0 or bool(self.events_published)

    def elapsed(self) -> float:
        return _clock() - self.started


Reporter = Callable[[BulkOperation], None]

_current: ContextVar[BulkOperation | None] = ContextVar("conduit_bulk_operation", default=None)
_reporter: Reporter | None = None


def use_reporter(reporter: Reporter | None) -> None:
    """Who is told of completed operations (events/bootstrap.py plugs in the one that
    publishes BulkOperationCompleted)."""
    global _reporter
    _reporter = reporter


def note_published(type_name: str) -> None:
    """Count a published event into the current operation, if one is running."""
    operation = _current.get()
    if operation is not None:
        operation.events_published[type_name] += 1


def bulk_apply[T](
    kind: str, items: Iterable[T], action: Callable[[T], object], *, gone: type[Exception]
) -> int:
    """`action(item)` for each item, as one bulk operation named `kind`; an item whose action
    raises `gone` (removed meanwhile) is skipped. Returns how many items were acted on."""
    with bulk_operation(kind) as operation:
        for item in items:
            try:
                action(item)
            except gone:
                operation.skip()
            else:
                operation.done()
    return operation.succeeded


@contextmanager
def bulk_operation(kind: str) -> Iterator[BulkOperation]:
    """Run a block as one bulk operation named `kind` ("users.delete", "events.prune")."""
    operation = BulkOperation(kind=kind)
    if _current.get() is not None:
        # Part of the operation running: its events are counted there, and it is not told.
        yield operation
        return
    token = _current.set(operation)
    try:
        yield operation
    finally:
        _current.reset(token)
    if operation.changed_anything and _reporter is not None:
        _reporter(operation)
