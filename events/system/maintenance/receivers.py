"""maintenance's wiring: a requested cleanup of an account's data runs in the worker."""

from events.core.wiring import HandlerTable, background
from events.system.maintenance.events import UserDataCleanupRequested
from events.system.maintenance.services import user_data_clean_up


def clean_up_user_data(event: UserDataCleanupRequested) -> None:
    """Background: remove (or anonymise) the account's data, then redact the audit trail."""
    user_data_clean_up(user_id=event.user_id, keep_content=event.keep_content)


EVENT_HANDLERS: HandlerTable = {
    UserDataCleanupRequested: [background(clean_up_user_data)],
}
