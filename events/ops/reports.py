"""What the running system tells about itself, as maintenance events: a completed bulk
operation (the reporter of events.core.operations, plugged in by events/bootstrap.py) and a
constraint violation the API answered (observed by events/middleware.py)."""

from events import bus
from events.core.operations import BulkOperation
from events.ops.events import BulkOperationCompleted, DatabaseConstraintViolation


def report_bulk_operation(operation: BulkOperation) -> None:
    """Tell a completed bulk operation as BulkOperationCompleted."""
    bus.publish(
        BulkOperationCompleted(
            kind=operation.kind,
            count=operation.count,
            succeeded=operation.succeeded,
            skipped=operation.skipped,
            details="; ".join(operation.details),
            events_published=dict(sorted(operation.events_published.items())),
            duration_ms=round(operation.elapsed() * 1000),
        )
    )


def report_constraint_violation(*, kind: str, constraint: str, table: str) -> None:
    """Tell a constraint violation that reached the API's exception handler."""
    bus.publish(DatabaseConstraintViolation(kind=kind, constraint=constraint, table=table))
