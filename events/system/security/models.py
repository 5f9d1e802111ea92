"""What the security app remembers, in the database so that every process and host counts
alike: login attempts (the lockout's and the detectors' evidence), account locks, suspicious
activity and rate-limit hits. Written only by events.system.security.services."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

# Long enough for an IPv6 address with a zone, and anything a proxy may forward.
CLIENT_IP_MAX_LENGTH = 64
USER_AGENT_MAX_LENGTH = 512
PATH_MAX_LENGTH = 512


class LoginAttempt(models.Model):
    """One credential check of POST /users/login."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # unknown email, wrong password, or a deactivated account
        LOCKED = "locked"  # refused unchecked: the email was locked for the address
        ERROR = "error"  # refused unchecked: the lock could not be decided (fail closed)

    attempted_at = models.DateTimeField(default=timezone.now)
    email = models.CharField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    client_ip = models.CharField(max_length=CLIENT_IP_MAX_LENGTH)
    user_agent = models.CharField(max_length=USER_AGENT_MAX_LENGTH, blank=True)

    class Meta:
        indexes = [
            # An account's recent failures (the lockout), an address's (credential stuffing).
            models.Index(fields=["user", "attempted_at"], name="loginattempt_user_time"),
            models.Index(fields=["email", "attempted_at"], name="loginattempt_email_time"),
            models.Index(fields=["client_ip", "attempted_at"], name="loginattempt_ip_time"),
            models.Index(fields=["attempted_at"], name="loginattempt_time"),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.outcome} from {self.client_ip}"


class AccountLock(models.Model):
    """An email refusing logins from `locked_at` until `locked_until`, or until staff
    unlocked it (`unlocked_at`, `unlocked_by`): from one client address (`scope` "address":
    that address failed too often for it) or from every address ("account": failures came
    from many addresses, a distributed attack). An unknown email is locked alike (`user`
    None), so that a lock tells nothing about whether the email has an account."""

    class Scope(models.TextChoices):
        ADDRESS = "address"
        ACCOUNT = "account"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    email = models.CharField(max_length=254, default="")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ADDRESS)
    locked_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField()
    failures = models.PositiveIntegerField()
    # The address locked out ("address"), or the last failing one ("account").
    client_ip = models.CharField(max_length=CLIENT_IP_MAX_LENGTH)
    # How many distinct addresses the failures came from.
    addresses = models.PositiveIntegerField(default=1)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(fields=["user", "locked_at"], name="accountlock_user_time"),
            models.Index(fields=["email", "locked_at"], name="accountlock_email_time"),
        ]

    def __str__(self) -> str:
        whom = (
            self.email
            if self.scope == self.Scope.ACCOUNT
            else f"{self.email} from {self.client_ip}"
        )
        return f"lock of {whom} until {self.locked_until:%Y-%m-%d %H:%M:%S}"

    @property
    def ends_at(self) -> datetime:
        """When it stops refusing logins: its time, or staff's unlock if that came first."""
        if self.unlocked_at is not None and self.unlocked_at < self.locked_until:
            return self.unlocked_at
        return self.locked_until

    def is_active(self, now: datetime) -> bool:
        return self.unlocked_at is None and self.locked_until > now


class SuspiciousActivity(models.Model):
    """A pattern of logins that looks like an attack, with its evidence."""

    class Reason(models.TextChoices):
        CREDENTIAL_STUFFING = "credential_stuffing"
        NEW_IP_AFTER_LOCK = "new_ip_after_lock"

    detected_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    client_ip = models.CharField(max_length=CLIENT_IP_MAX_LENGTH)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accounts = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    window_seconds = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "suspicious activity"
        indexes = [
            models.Index(fields=["client_ip", "detected_at"], name="suspicious_ip_time"),
            models.Index(fields=["user", "detected_at"], name="suspicious_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} from {self.client_ip}"


class RateLimitHit(models.Model):
    """A client that went over a throttle scope's rate, once per client, scope and minute
    (the unique constraint is what keeps a flood to one row and one event a minute)."""

    minute = models.DateTimeField()
    scope = models.CharField(max_length=20)
    # How the throttle counts the client: "user:<id>" or "ip:<address>".
    client = models.CharField(max_length=CLIENT_IP_MAX_LENGTH + 5)
    client_ip = models.CharField(max_length=CLIENT_IP_MAX_LENGTH)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    path = models.CharField(max_length=PATH_MAX_LENGTH)
    rate = models.CharField(max_length=32)

    class Meta:
        verbose_name = "rate-limit event"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "client", "minute"], name="ratelimithit_once_a_minute"
            )
        ]
        indexes = [models.Index(fields=["minute"], name="ratelimithit_minute")]

    def __str__(self) -> str:
        return f"{self.scope} limit hit by {self.client} at {self.minute:%Y-%m-%d %H:%M}"


class OwnerNotice(models.Model):
    """An email that told an account's owner of a change to the account (its password, its
    email, a lock, a login from a new address after a lock), once per event and address: the
    unique key is what makes a redelivered or replayed event send nothing twice
    (events/security/notices.py)."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} notice to user {self.user_id}"
