"""maintenance's wiring: a requested cleanup of an account's data runs in the worker, and
staff hear of what needs them (alerts.py), at most once per kind per quarter hour."""

from events.core.wiring import HandlerTable, background
from events.ops.events import DatabaseConstraintViolation, OrphanedDataDetected
from events.system.analytics.events import HighTrafficDetected
from events.system.maintenance import alerts
from events.system.maintenance.events import UserDataCleanupRequested
from events.system.maintenance.services import user_data_clean_up
from events.system.moderation.events import SpamDetected
from events.system.security.events import SuspiciousLoginActivity


def clean_up_user_data(event: UserDataCleanupRequested) -> None:
    """Background: remove (or anonymise) the account's data, then redact the audit trail."""
    user_data_clean_up(user_id=event.user_id, keep_content=event.keep_content)


EVENT_HANDLERS: HandlerTable = {
    UserDataCleanupRequested: [background(clean_up_user_data)],
    SuspiciousLoginActivity: [background(alerts.alert_suspicious_login)],
    HighTrafficDetected: [background(alerts.alert_high_traffic)],
    SpamDetected: [background(alerts.alert_spam)],
    DatabaseConstraintViolation: [background(alerts.alert_constraint_violation)],
    OrphanedDataDetected: [background(alerts.alert_orphaned_data)],
}
