"""Maintenance events of one account: the right to be forgotten (`manage.py
cleanup_user_data`). The event system's own upkeep (bulk operations, redaction, orphans,
constraint violations) is told by events/ops/events.py, which this extends.
"""

from dataclasses import dataclass

from events.ops.events import AccountMaintenanceEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDataCleanupRequested(AccountMaintenanceEvent):
    """An operator asked for an account's data to be removed (`manage.py cleanup_user_data`):
    the worker removes its articles, comments, favorites and follows and the account itself,
    or, with `keep_content`, keeps its articles and comments and anonymises the account; then
    it redacts the account's personal data in the audit trail."""

    user_id: int
    keep_content: bool
