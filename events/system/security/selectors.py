"""Reads of the security app."""

from datetime import datetime

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
