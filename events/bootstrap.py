"""Puts the event system together, once per process, from EventsConfig.ready().

Nothing here runs at import. In order: every app's `events` module is imported (the worker
rebuilds events from the audit trail by type name, so every type must be registered before
the first delivery); the shared bus gets the database outbox; completed bulk operations are
told as BulkOperationCompleted (events.core.operations); every app's `EVENT_HANDLERS` table is
subscribed; the system checks are registered; the metrics flusher thread starts.
"""

from django.core import checks
from django.utils.module_loading import autodiscover_modules

from events.core import bus, metrics, operations
from events.core.wiring import register_all_event_handlers
from events.ops.checks import EVENT_CHECKS
from events.ops.reports import report_bulk_operation
from events.outbox import DatabaseOutbox
from events.worker import run_deliveries


def database_outbox() -> DatabaseOutbox:
    """The outbox of a real bus: the database, with the in-process worker for on-commit runs."""
    return DatabaseOutbox(deliver_now=run_deliveries)


def bootstrap() -> None:
    autodiscover_modules("events")
    bus.shared_event_bus.use_outbox(database_outbox())
    operations.use_reporter(report_bulk_operation)
    register_all_event_handlers()
    for check in EVENT_CHECKS:
        checks.register(check)
    metrics.start_flusher()
