"""The security app's wiring: what the system does when logins happen and accounts change
(read once at start-up, events/core/wiring.py). The lockout is no handler: it is decided in
the login's own transaction (hooks.py), so it cannot fail open. Detection runs durably in the
worker, off the request's path; so does every email to the account's owner (notices.py).
Staff's alerts are maintenance's (events/system/maintenance/alerts.py)."""

from events.core.wiring import HandlerTable, background
from events.system.security import notices, services
from events.system.security.events import (
    SuspiciousLoginActivity,
    UserAccountLocked,
    UserEmailChanged,
    UserLoginAttempted,
    UserPasswordChanged,
)
from events.system.security.models import LoginAttempt
from users.events import UserProfileUpdated

FAILED = LoginAttempt.Outcome.FAILED


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


# Handlers no longer wired, kept so that deliveries written before this layout still run
# (events/system/maintenance/migrations/0001_moved_handler_paths.py names them).


def lock_account_after_failed_logins(event: UserLoginAttempted) -> None:
    """Formerly the lockout, after the attempt's commit; now decided in the login's own
    transaction (hooks.py). A delivery left from before decides the lock it was due."""
    if event.outcome == FAILED:
        services.login_lock_if_due(
            email=event.email, user_id=event.user_id, client_ip=event.client_ip
        )


def announce_password_change(event: UserProfileUpdated) -> None:
    """Formerly the password change's announcement; now the user model's save announces it
    (hooks.py). A delivery left from before announces it once (bus.publish_once)."""
    if "password" in event.changed_fields:
        services.password_change_announce_once(user_id=event.user_id)


EVENT_HANDLERS: HandlerTable = {
    UserLoginAttempted: [
        background(detect_credential_stuffing),
        background(flag_new_ip_after_lock),
    ],
    UserPasswordChanged: [background(notices.tell_owner_of_password_change)],
    UserEmailChanged: [background(notices.tell_owner_of_email_change)],
    UserAccountLocked: [background(notices.tell_owner_of_lock)],
    SuspiciousLoginActivity: [background(notices.tell_owner_of_new_address_after_lock)],
}
