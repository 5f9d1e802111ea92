"""The security app's wiring: what the system does when logins happen and passwords change
(read once at start-up, events/core/wiring.py). The lockout acts inline, right after the
failed attempt commits, so the very next attempt meets the lock; detection runs durably in
the worker, off the request's path."""

from events.core.wiring import HandlerTable, background
from events.system.security import services
from events.system.security.events import UserLoginAttempted
from events.system.security.models import LoginAttempt
from users.events import UserProfileUpdated

FAILED = LoginAttempt.Outcome.FAILED


def lock_account_after_failed_logins(event: UserLoginAttempted) -> None:
    """Too many failed logins for one account within the window lock it."""
    if event.outcome == FAILED and event.user_id is not None:
        services.account_lock_if_due(user_id=event.user_id, client_ip=event.client_ip)


def detect_credential_stuffing(event: UserLoginAttempted) -> None:
    """One address failing against many accounts is reported, once per window."""
    if event.outcome == FAILED:
        services.credential_stuffing_report_if_due(client_ip=event.client_ip, at=event.occurred_at)


def flag_new_ip_after_lock(event: UserLoginAttempted) -> None:
    """A success from an address the account never used, right after a lock, is reported."""
    if event.succeeded and event.user_id is not None:
        services.new_ip_after_lock_report_if_due(
            user_id=event.user_id, client_ip=event.client_ip, at=event.occurred_at
        )


def announce_password_change(event: UserProfileUpdated) -> None:
    """A profile update that set a password is a UserPasswordChanged."""
    if "password" in event.changed_fields:
        services.password_change_announce(user_id=event.user_id)


EVENT_HANDLERS: HandlerTable = {
    UserLoginAttempted: [
        lock_account_after_failed_logins,
        background(detect_credential_stuffing),
        background(flag_new_ip_after_lock),
    ],
    UserProfileUpdated: [background(announce_password_change)],
}
