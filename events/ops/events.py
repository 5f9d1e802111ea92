"""The event system's own maintenance events, published by events.ops: a completed bulk
operation and a constraint violation the API answered (events/ops/reports.py), personal data
redacted in the audit trail (events/ops/redaction.py), orphaned data found
(events/ops/orphans.py). The upkeep an operator asks of one account is the maintenance app's
(events/system/maintenance/events.py).

None changes an API read by itself (each item a bulk operation changes publishes its own
event, which does), so none invalidates the read cache. None carries a row's values: ids,
names of tables and constraints, counts.
"""

from dataclasses import dataclass, field
from typing import ClassVar

from events.core.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceEvent(Event):
    """What every maintenance event shares: its category."""

    abstract: ClassVar[bool] = True
    category: ClassVar[str] = "maintenance"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountMaintenanceEvent(MaintenanceEvent):
    """Upkeep of one account, filed under it in the audit trail."""

    abstract: ClassVar[bool] = True
    aggregate_type: ClassVar[str] = "user"
    aggregate_id_field: ClassVar[str] = "user_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkOperationCompleted(MaintenanceEvent):
    """An operation on many items completed and changed something: an admin action on a
    selection, a maintenance command, a background cleanup. `kind` names it ("users.delete",
    "events.prune", "moderation.approve"), `count` is how many items it acted on,
    `succeeded` how many it changed (each with its own event, when it has one), `skipped` how
    many needed no change or were gone meanwhile; `details` says anything else, in words.
    `events_published` counts the events its changes published, by type, and `duration_ms`
    is how long it ran (None when not measured). Filed under its kind, so the audit trail
    lists every run of one operation. Most are told by events.core.operations.bulk_operation,
    which measures both."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "a summary: every item the operation changed published its own event, which its "
        "consumers handle; kept in the audit trail for operators"
    )

    aggregate_type: ClassVar[str] = "bulk_operation"
    aggregate_id_field: ClassVar[str] = "kind"

    kind: str
    count: int
    succeeded: int
    skipped: int
    details: str
    events_published: dict[str, int] = field(default_factory=dict)
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalDataRedacted(AccountMaintenanceEvent):
    """The personal data of a forgotten account was blanked in `records` stored event
    payloads (of `event_types`): the one change the audit trail allows, made only by
    events.ops.redaction. The records keep their ids, types and times."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "the record that an account was forgotten, kept for accountability; nothing follows from it"
    )

    user_id: int
    records: int
    event_types: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrphanedDataDetected(MaintenanceEvent):
    """`manage.py find_orphans` found `count` rows of one kind that belong to nothing any
    more (an unused tag, a delivery whose event is gone, an expired lease ...);
    `sample_ids` names at most ten of them. Filed under the kind."""

    aggregate_type: ClassVar[str] = "orphan_kind"
    aggregate_id_field: ClassVar[str] = "kind"

    kind: str
    count: int
    sample_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseConstraintViolation(MaintenanceEvent):
    """A database constraint refused a write that no service had absorbed (a race), and the
    API answered it (409 for a uniqueness conflict, 422 otherwise). `kind` is "unique",
    "check", "foreign_key", "not_null" or "other"; `constraint` and `table` are names from
    the schema, never the row's values (either may be "" when the database does not say).
    Filed under the table."""

    aggregate_type: ClassVar[str] = "table"
    aggregate_id_field: ClassVar[str] = "table"

    kind: str
    constraint: str
    table: str
