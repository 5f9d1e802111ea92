"""Security events: logins, account locks, suspicious activity, password changes, rate limits.

Published by the security app's services (security/services.py), some of them by its
hooks (security/hooks.py). A new password or email changes the user behind a token, which
reads remember (security/reads.py renews it); no other security event changes what an API
read shows. Every one is filed under the account it concerns, or under
none when no account is known (an unknown email, an address failing against many): never
under a client address, which is personal data that forgetting an account blanks from the
payloads (`personal_data`). What one address did is in the security app's tables and admin.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from events.core.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityEvent(Event):
    """What every security event shares: its category, and the account it is filed under
    (`user_id`, None when no account is known)."""

    abstract: ClassVar[bool] = True
    category: ClassVar[str] = "security"
    aggregate_type: ClassVar[str] = "user"
    aggregate_id_field: ClassVar[str] = "user_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class UserLoginAttempted(SecurityEvent):
    """Someone sent an email and a password to POST /users/login. `outcome` is "succeeded",
    "failed" (unknown email, wrong password or deactivated account: the client is told
    `credentials` `invalid` alike) or "locked" (refused unchecked: the account is locked);
    `user_id` is the account the email names, if any."""

    # Blanked when the account is forgotten (Event.personal_data, events/ops/redaction.py).
    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {
        "user_id": ("email", "client_ip", "user_agent")
    }

    email: str
    user_id: int | None
    succeeded: bool
    outcome: str
    client_ip: str
    user_agent: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserAccountLocked(SecurityEvent):
    """`failures` failed logins within `window_seconds` locked an email until
    `locked_until`: for the address `client_ip` only (`scope` "address"), or, when they came
    from `addresses` distinct addresses, for every address ("account"; `client_ip` is then
    the last of them). `user_id` is the account the email names, None for an unknown email
    (locked alike, so a lock tells nothing about whether it has an account)."""

    # Blanked when the account is forgotten (Event.personal_data, events/ops/redaction.py).
    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"user_id": ("client_ip",)}

    user_id: int | None
    locked_until: datetime
    failures: int
    window_seconds: int
    client_ip: str
    # Added with per-address locks; a record from before them was account-wide.
    scope: str = "account"
    addresses: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class UserAccountUnlocked(SecurityEvent):
    """Staff ended an account's lock before its time (`unlocked_by_id`: who)."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "staff unlocked the account themselves in the admin; the owner was told of the lock, "
        "and the unlock only returns the account to normal"
    )

    user_id: int
    unlocked_by_id: int | None
    locked_until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SuspiciousLoginActivity(SecurityEvent):
    """Logins that look like an attack, from `client_ip`. `reason` is "credential_stuffing"
    (failures against `accounts` distinct emails, `failures` in all, within `window_seconds`)
    or "new_ip_after_lock" (a successful login into `user_id` from an address it had never
    logged in from, within `window_seconds` of the end of a lock that `failures` failed
    logins caused)."""

    # Blanked when the account is forgotten (Event.personal_data, events/ops/redaction.py).
    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"user_id": ("client_ip",)}

    reason: str
    client_ip: str
    user_id: int | None
    accounts: int
    failures: int
    window_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserPasswordChanged(SecurityEvent):
    """An account's password changed, by whatever path saved it (PUT /user, the admin's
    password form, `manage.py changepassword`, a shell's `set_password` + `save`): every
    token issued before the change is refused from then on (each carries the fingerprint of
    the password it was issued under), but the one a PUT /user came through
    (PASSWORD_CHANGE_KEEPS_TOKEN)."""

    user_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserEmailChanged(SecurityEvent):
    """An account's email changed from `old_email` to `new_email`, by whatever path saved it
    (PUT /user, the admin, a shell): both addresses are told, the old one first of all,
    since a stolen token could otherwise move the account away silently."""

    # Blanked when the account is forgotten (Event.personal_data, events/ops/redaction.py).
    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"user_id": ("old_email", "new_email")}

    user_id: int
    old_email: str
    new_email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitExceeded(SecurityEvent):
    """A client went over the `rate` of a throttle `scope` ("login", "registration" or
    "writes") and was answered 429 on `path`. At most one per client, scope and minute: a
    flood does not flood the audit trail. `user_id` is set when the client is counted by
    its account (writes), None when by its address."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "the refusal (429) happened in the request; the rate-limit record is in the admin, "
        "and an email per client and minute would be a flood"
    )

    # Blanked when the account is forgotten (Event.personal_data, events/ops/redaction.py).
    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"user_id": ("client_ip",)}

    scope: str
    client_ip: str
    user_id: int | None
    path: str
    rate: str
