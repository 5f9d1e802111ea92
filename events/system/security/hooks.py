"""The security app's side of users' login hooks (users/signals.py), connected in apps.py:
a locked account's login is refused before its password is checked, and every credential
check is recorded and announced."""

from typing import Any

from django.utils import timezone

from events.system.security import selectors, services
from events.system.security.errors import AccountLocked
from events.system.security.models import LoginAttempt


def refuse_locked_account(sender: type, *, user: Any, **kwargs: Any) -> AccountLocked | None:
    """While the account is locked, every login is refused, the right password included."""
    if user is None:
        return None
    now = timezone.now()
    lock = selectors.account_lock_active(user_id=user.pk, now=now)
    if lock is None:
        return None
    return AccountLocked(retry_after_seconds=(lock.locked_until - now).total_seconds())


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
) -> None:
    """Record the attempt; a refusal is the lock's (the only refusal this app answers)."""
    if outcome == "refused" and isinstance(refusal, AccountLocked):
        outcome = LoginAttempt.Outcome.LOCKED
    services.login_attempt_record(
        email=email,
        user_id=user.pk if user is not None else None,
        outcome=outcome,
        client_ip=client_ip,
        user_agent=user_agent,
    )
