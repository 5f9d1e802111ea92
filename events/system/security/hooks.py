"""The security app's side of users' login hooks (users/signals.py) and of the user model's
saves, connected in apps.py: a locked email's login is refused before its password is
checked, every credential check is recorded and announced, the lock is decided in the
login's own transaction, and a new password or email is announced whatever path saved it."""

import logging
from typing import Any

from django.utils import timezone

from conduit.errors import DomainError
from events.system.security import services
from events.system.security.errors import AccountLocked, LoginUnavailable
from events.system.security.models import LoginAttempt
from users.services import user_is_anonymised

logger = logging.getLogger(__name__)


def announce_account_changes(
    sender: type,
    *,
    instance: Any,
    created: bool,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    """post_save of the user model, whatever path saved it (the API's PUT /user, the admin,
    `manage.py changepassword`, a shell's `set_password` + `save`): a new password or a new
    email is announced in the save's own transaction. Django's user keeps the raw password in
    `_password` from `set_password` until its save has sent post_save; the email as loaded is
    kept by the model (User.email_as_loaded)."""
    if created or user_is_anonymised(instance):
        instance.email_saved()
        return
    if getattr(instance, "_password", None) is not None:
        services.password_change_announce(user_id=instance.pk)
    if update_fields is not None and "email" not in update_fields:
        return
    old_email = instance.email_as_loaded()
    if old_email is not None and old_email != instance.email:
        services.email_change_announce(
            user_id=instance.pk, old_email=old_email, new_email=instance.email
        )
    instance.email_saved()


def refuse_locked_account(
    sender: type, *, email: str, user: Any, client_ip: str = "", **kwargs: Any
) -> DomainError | None:
    """While `email` is locked for the caller's address (or for every address), every login
    is refused, the right password included; the lock is decided here, in the login's
    transaction, from the failures recorded so far. When it cannot be decided (the lock's
    read or write fails), the login is refused too (fail closed)."""
    try:
        lock = services.login_lock(
            email=email, user_id=user.pk if user is not None else None, client_ip=client_ip
        )
    except Exception:
        logger.exception("The lock of a login could not be decided: the login is refused")
        return LoginUnavailable()
    if lock is None:
        return None
    return AccountLocked(retry_after_seconds=(lock.locked_until - timezone.now()).total_seconds())


def record_login_attempt(
    sender: type,
    *,
    email: str,
    user: Any,
    outcome: str,
    refusal: Exception | None,
    client_ip: str,
    user_agent: str,
    **kwargs: Any,
) -> Exception | None:
    """Record the attempt, in the login's transaction, and decide the lock a failure calls
    for. When the lock cannot be recorded, the attempt still is (the next attempt decides the
    lock again, before its password is checked) and the login fails: LoginUnavailable."""
    if outcome == "refused":
        outcome = (
            LoginAttempt.Outcome.LOCKED
            if isinstance(refusal, AccountLocked)
            else LoginAttempt.Outcome.ERROR
        )
    user_id = user.pk if user is not None else None
    services.login_attempt_record(
        email=email, user_id=user_id, outcome=outcome, client_ip=client_ip, user_agent=user_agent
    )
    if outcome != LoginAttempt.Outcome.FAILED:
        return None
    try:
        services.login_lock_if_due(email=email, user_id=user_id, client_ip=client_ip)
    except Exception:
        logger.exception("The lock of a failed login could not be recorded: the login fails")
        return LoginUnavailable()
    return None
