"""Reads of the security app."""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from events.system.security.models import AccountLock


def account_lock_active(*, user_id: int, now: datetime | None = None) -> AccountLock | None:
    """The lock that refuses the account's logins now, if any."""
    return (
        AccountLock.objects.filter(
            user_id=user_id, unlocked_at__isnull=True, locked_until__gt=now or timezone.now()
        )
        .order_by("-locked_until")
        .first()
    )


def login_lock_active(*, email: str, client_ip: str, now: datetime) -> AccountLock | None:
    """The lock that refuses logins of `email` from `client_ip` now, if any: one for that
    address, or one for every address."""
    return (
        AccountLock.objects.filter(
            Q(scope=AccountLock.Scope.ACCOUNT) | Q(client_ip=client_ip),
            email=email,
            unlocked_at__isnull=True,
            locked_until__gt=now,
        )
        .order_by("-locked_until")
        .first()
    )
