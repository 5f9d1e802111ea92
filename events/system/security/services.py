"""Writes of the security app, and the only place that publishes the security events
(events/system/security.py). Thresholds and windows are settings (README, "Security")."""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from conduit.sharedcache import TolerantCache
from events import bus
from events.core.unit_of_work import unit_of_work
from events.system.security import selectors
from events.system.security.events import (
    RateLimitExceeded,
    SuspiciousLoginActivity,
    UserAccountLocked,
    UserAccountUnlocked,
    UserEmailChanged,
    UserLoginAttempted,
    UserPasswordChanged,
)
from events.system.security.models import (
    CLIENT_IP_MAX_LENGTH,
    PATH_MAX_LENGTH,
    USER_AGENT_MAX_LENGTH,
    AccountLock,
    LoginAttempt,
    RateLimitHit,
    SuspiciousActivity,
)
from users.models import User

Outcome = LoginAttempt.Outcome
Scope = AccountLock.Scope
Reason = SuspiciousActivity.Reason

_hit_markers = TolerantCache("rate_limit_hit")


@unit_of_work
def login_attempt_record(
    *, email: str, user_id: int | None, outcome: str, client_ip: str, user_agent: str
) -> LoginAttempt:
    """Keep one credential check of POST /users/login, the evidence the lockout and the
    detectors count, and announce it (UserLoginAttempted)."""
    attempt = LoginAttempt.objects.create(
        email=email[:254],
        user_id=user_id,
        outcome=Outcome(outcome).value,
        client_ip=client_ip[:CLIENT_IP_MAX_LENGTH],
        user_agent=user_agent[:USER_AGENT_MAX_LENGTH],
    )
    bus.publish(
        UserLoginAttempted(
            occurred_at=attempt.attempted_at,
            email=attempt.email,
            user_id=user_id,
            succeeded=attempt.outcome == Outcome.SUCCEEDED,
            outcome=attempt.outcome,
            client_ip=attempt.client_ip,
            user_agent=attempt.user_agent,
        )
    )
    return attempt


def login_lock(*, email: str, user_id: int | None, client_ip: str) -> AccountLock | None:
    """The lock that refuses a login of `email` from `client_ip` now, deciding it first: when
    the failures already counted call for a lock that is not recorded yet, it is recorded
    here, in the caller's transaction (the login's). Anything that fails here raises, and the
    login fails with it (fail closed). In a savepoint of its own, so that a failure here
    leaves the login's transaction usable for recording the refusal."""
    with unit_of_work():
        now = timezone.now()
        lock = selectors.login_lock_active(email=email, client_ip=client_ip, now=now)
        if lock is not None:
            return lock
        return login_lock_if_due(email=email, user_id=user_id, client_ip=client_ip, now=now)


def login_lock_if_due(
    *, email: str, user_id: int | None, client_ip: str, now: datetime | None = None
) -> AccountLock | None:
    """Lock `email` when its failed logins call for it, unless a lock is active already;
    publishes UserAccountLocked. Two rules (docs/security.md):

    - for one address: SECURITY_LOCKOUT_FAILURES failures of `email` from `client_ip` within
      SECURITY_LOCKOUT_WINDOW_SECONDS, counted since that address's last success or lock,
      lock the email for that address only (the owner elsewhere is not refused);
    - for every address: failures of `email` from SECURITY_ACCOUNT_LOCK_ADDRESSES distinct
      addresses or more within the window, counted since the account's last success or
      account-wide lock (a distributed attack), lock it for all.

    An unknown email is locked alike, so a lock tells nothing about whether it has an
    account. The decision holds the account's row lock (when there is an account) and counts
    what has committed, so failures racing each other lock it exactly once. In a savepoint of
    its own inside the login's transaction: when it fails, the attempt's record stays."""
    window = settings.SECURITY_LOCKOUT_WINDOW_SECONDS
    with unit_of_work():
        if user_id is not None and not User.objects.select_for_update().filter(pk=user_id):
            user_id = None
        now = now or timezone.now()
        if selectors.login_lock_active(email=email, client_ip=client_ip, now=now) is not None:
            return None
        recent = LoginAttempt.objects.filter(
            email=email, attempted_at__gt=now - timedelta(seconds=window)
        )
        locks = AccountLock.objects.filter(email=email)

        here = _since_last(
            recent.filter(client_ip=client_ip),
            locks.filter(Q(client_ip=client_ip) | Q(scope=Scope.ACCOUNT)),
        )
        failures = here.filter(outcome=Outcome.FAILED).count()
        if failures >= settings.SECURITY_LOCKOUT_FAILURES:
            return _lock(email, user_id, Scope.ADDRESS, client_ip, failures, 1, now)

        everywhere = _since_last(recent, locks.filter(scope=Scope.ACCOUNT))
        evidence = everywhere.filter(outcome=Outcome.FAILED).aggregate(
            failures=Count("pk"), addresses=Count("client_ip", distinct=True)
        )
        if evidence["addresses"] >= settings.SECURITY_ACCOUNT_LOCK_ADDRESSES:
            return _lock(
                email,
                user_id,
                Scope.ACCOUNT,
                client_ip,
                evidence["failures"],
                evidence["addresses"],
                now,
            )
    return None


def _since_last(attempts: QuerySet[LoginAttempt], locks: QuerySet[AccountLock]) -> QuerySet:
    """The attempts after the last success among them and after the last of the locks: what
    locked before does not lock again, and a success starts the count over."""
    last_lock = locks.aggregate(last=Max("locked_at"))["last"]
    if last_lock is not None:
        attempts = attempts.filter(attempted_at__gt=last_lock)
    last_success = attempts.filter(outcome=Outcome.SUCCEEDED).aggregate(last=Max("attempted_at"))[
        "last"
    ]
    if last_success is not None:
        attempts = attempts.filter(attempted_at__gt=last_success)
    return attempts


def _lock(
    email: str,
    user_id: int | None,
    scope: str,
    client_ip: str,
    failures: int,
    addresses: int,
    now: datetime,
) -> AccountLock:
    lock = AccountLock.objects.create(
        email=email,
        user_id=user_id,
        scope=scope,
        locked_at=now,
        locked_until=now + timedelta(seconds=settings.SECURITY_LOCKOUT_SECONDS),
        failures=failures,
        addresses=addresses,
        client_ip=client_ip[:CLIENT_IP_MAX_LENGTH],
    )
    bus.publish(
        UserAccountLocked(
            occurred_at=now,
            user_id=user_id,
            locked_until=lock.locked_until,
            failures=failures,
            window_seconds=settings.SECURITY_LOCKOUT_WINDOW_SECONDS,
            client_ip=lock.client_ip,
            scope=scope,
            addresses=addresses,
        )
    )
    return lock


@unit_of_work
def account_unlock(*, lock: AccountLock, by: User | None) -> bool:
    """End a lock before its time (staff, in the admin); publishes UserAccountUnlocked.
    False, and nothing published, when it had already ended."""
    now = timezone.now()
    ended = AccountLock.objects.filter(
        pk=lock.pk, unlocked_at__isnull=True, locked_until__gt=now
    ).update(unlocked_at=now, unlocked_by=by)
    if not ended:
        return False
    lock.refresh_from_db()
    bus.publish(
        UserAccountUnlocked(
            occurred_at=now,
            user_id=lock.user_id,
            unlocked_by_id=by.pk if by is not None else None,
            locked_until=lock.locked_until,
        )
    )
    return True


@unit_of_work
def credential_stuffing_report_if_due(*, client_ip: str, at: datetime) -> SuspiciousActivity | None:
    """Report an address whose failed logins within SECURITY_STUFFING_WINDOW_SECONDS before
    `at` named SECURITY_STUFFING_ACCOUNTS distinct emails or more, once per window."""
    window = settings.SECURITY_STUFFING_WINDOW_SECONDS
    since = at - timedelta(seconds=window)
    reported = SuspiciousActivity.objects.filter(
        reason=Reason.CREDENTIAL_STUFFING, client_ip=client_ip, detected_at__gt=since
    )
    if reported.exists():
        return None
    evidence = LoginAttempt.objects.filter(
        client_ip=client_ip, outcome=Outcome.FAILED, attempted_at__gt=since, attempted_at__lte=at
    ).aggregate(accounts=Count("email", distinct=True), failures=Count("pk"))
    if evidence["accounts"] < settings.SECURITY_STUFFING_ACCOUNTS:
        return None
    return _suspicious_activity_report(
        reason=Reason.CREDENTIAL_STUFFING,
        client_ip=client_ip,
        user_id=None,
        accounts=evidence["accounts"],
        failures=evidence["failures"],
        window_seconds=window,
    )


@unit_of_work
def new_ip_after_lock_report_if_due(
    *, user_id: int, client_ip: str, at: datetime
) -> SuspiciousActivity | None:
    """Report a successful login at `at` from an address the account had never logged in
    from before its last lock, when that lock ended SECURITY_NEW_IP_AFTER_LOCK_SECONDS ago
    or less; once per lock and address."""
    window = settings.SECURITY_NEW_IP_AFTER_LOCK_SECONDS
    lock = AccountLock.objects.filter(user_id=user_id, locked_at__lte=at).order_by("-locked_at")
    lock = lock.first()
    if lock is None or lock.ends_at < at - timedelta(seconds=window):
        return None
    known = LoginAttempt.objects.filter(
        user_id=user_id,
        outcome=Outcome.SUCCEEDED,
        client_ip=client_ip,
        attempted_at__lt=lock.locked_at,
    )
    reported = SuspiciousActivity.objects.filter(
        reason=Reason.NEW_IP_AFTER_LOCK,
        user_id=user_id,
        client_ip=client_ip,
        detected_at__gte=lock.locked_at,
    )
    if known.exists() or reported.exists():
        return None
    return _suspicious_activity_report(
        reason=Reason.NEW_IP_AFTER_LOCK,
        client_ip=client_ip,
        user_id=user_id,
        accounts=1,
        failures=lock.failures,
        window_seconds=window,
    )


def _suspicious_activity_report(
    *,
    reason: str,
    client_ip: str,
    user_id: int | None,
    accounts: int,
    failures: int,
    window_seconds: int,
) -> SuspiciousActivity:
    activity = SuspiciousActivity.objects.create(
        reason=reason,
        client_ip=client_ip,
        user_id=user_id,
        accounts=accounts,
        failures=failures,
        window_seconds=window_seconds,
    )
    bus.publish(
        SuspiciousLoginActivity(
            occurred_at=activity.detected_at,
            reason=Reason(reason).value,
            client_ip=client_ip,
            user_id=user_id,
            accounts=accounts,
            failures=failures,
            window_seconds=window_seconds,
        )
    )
    return activity


def password_change_announce(*, user_id: int) -> None:
    """Announce that an account's password changed, by whatever path (its older tokens are
    refused already: each carries the fingerprint of the password it was issued under,
    conduit.auth.password_fingerprint)."""
    with unit_of_work():
        bus.publish(UserPasswordChanged(user_id=user_id))


def password_change_announce_once(*, user_id: int) -> None:
    """The former background handler's announcement (receivers.announce_password_change):
    once per profile update, however often its delivery runs (bus.publish_once)."""
    bus.publish_once(UserPasswordChanged(user_id=user_id))


def email_change_announce(*, user_id: int, old_email: str, new_email: str) -> None:
    """Announce that an account's email changed, by whatever path (both addresses are told)."""
    with unit_of_work():
        bus.publish(UserEmailChanged(user_id=user_id, old_email=old_email, new_email=new_email))


def rate_limit_exceeded(
    *,
    scope: str,
    client: str,
    client_ip: str,
    user_id: int | None,
    path: str,
    rate: str,
    at: datetime,
) -> bool:
    """Record that `client` went over `scope`'s rate; publishes RateLimitExceeded at most
    once per client, scope and minute (True when this call did). The shared cache spares
    the database the rest of a flood; the unique row decides between racing processes."""
    minute = at.replace(second=0, microsecond=0)
    marker = hashlib.blake2b(f"{scope}|{client}|{minute:%Y%m%d%H%M}".encode(), digest_size=16)
    # Without the shared cache (reported), every refusal reaches the database's unique row.
    if not _hit_markers.add(f"conduit:rate-limit-hit:{marker.hexdigest()}", 1, 120):
        return False
    try:
        with unit_of_work():
            hit = RateLimitHit.objects.create(
                minute=minute,
                scope=scope,
                client=client,
                client_ip=client_ip[:CLIENT_IP_MAX_LENGTH],
                user_id=user_id,
                path=path[:PATH_MAX_LENGTH],
                rate=rate,
            )
            bus.publish(
                RateLimitExceeded(
                    occurred_at=at,
                    scope=scope,
                    client_ip=hit.client_ip,
                    user_id=user_id,
                    path=hit.path,
                    rate=rate,
                )
            )
    except IntegrityError:
        return False
    return True
