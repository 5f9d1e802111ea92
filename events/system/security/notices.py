"""What the owner of an account is told, by email, from the worker: a new password, a new
email (at the old address as well, the new one masked), a lock, and a login from a new
address right after a lock. A stolen token, or a guess, must not change an account silently.

Each handler is a background handler (events/security/receivers.py): a slow or failing mail
server never delays or fails the change, and the worker retries a failed send. Once per event
and address: the handler records an OwnerNotice with a unique key before sending, in the
delivery's transaction, so a failed send rolls the record back for the retry and a delivery
run again anyway (a redelivery, a replay, a concurrent twin) finds the record and sends
nothing.
"""

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from events.core.event import Event
from events.system.security.events import (
    SuspiciousLoginActivity,
    UserAccountLocked,
    UserEmailChanged,
    UserPasswordChanged,
)
from events.system.security.models import OwnerNotice, SuspiciousActivity
from users.models import User
from users.services import user_is_anonymised

SUBJECTS = {
    "password_changed": "Your Conduit password was changed",
    "email_changed": "Your Conduit email address was changed",
    "account_locked": "Sign-ins to your Conduit account were locked",
    "new_address_after_lock": "New sign-in to your Conduit account after a lock",
}


def mask_email(email: str) -> str:
    """`alice@example.com` -> `a***@example.com`: enough for the owner to recognise it, not
    enough to hand an address to whoever reads the old mailbox."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def notify_owner(
    *, kind: str, event: Event, user_id: int | None, to: str | None = None, **context: object
) -> bool:
    """Email the account (at `to`, by default its current address) about `event`, once per
    event, kind and address; True when this call sent it."""
    if user_id is None:
        return False
    user = User.objects.filter(pk=user_id).first()
    if user is None or user_is_anonymised(user):  # gone, or forgotten, before the worker came
        return False
    address = to or user.email
    key = f"{kind}:{event.event_id}:{address}"
    if OwnerNotice.objects.filter(key=key).exists():
        return False
    try:
        with transaction.atomic():
            OwnerNotice.objects.create(key=key, kind=kind, user_id=user_id)
    except IntegrityError:  # a concurrent delivery recorded it first, and sends the email
        return False
    body = render_to_string(
        f"security/{kind}.txt",
        {"username": user.username, "at": event.occurred_at, **context},
    )
    send_mail(SUBJECTS[kind], body, None, [address])  # None: DEFAULT_FROM_EMAIL
    return True


def tell_owner_of_password_change(event: UserPasswordChanged) -> None:
    """Background handler (UserPasswordChanged)."""
    notify_owner(kind="password_changed", event=event, user_id=event.user_id)


def tell_owner_of_email_change(event: UserEmailChanged) -> None:
    """Background handler (UserEmailChanged): the old address first (whoever took the account
    does not read it), then the new one; each shows the new address masked."""
    masked = mask_email(event.new_email)
    for address in (event.old_email, event.new_email):
        notify_owner(
            kind="email_changed",
            event=event,
            user_id=event.user_id,
            to=address,
            new_email=masked,
        )


def tell_owner_of_lock(event: UserAccountLocked) -> None:
    """Background handler (UserAccountLocked): an unknown email (no account) is told nothing."""
    notify_owner(
        kind="account_locked",
        event=event,
        user_id=event.user_id,
        scope=event.scope,
        failures=event.failures,
        client_ip=event.client_ip,
        addresses=event.addresses,
        locked_until=event.locked_until,
    )


def tell_owner_of_new_address_after_lock(event: SuspiciousLoginActivity) -> None:
    """Background handler (SuspiciousLoginActivity, `new_ip_after_lock` only)."""
    if event.reason != SuspiciousActivity.Reason.NEW_IP_AFTER_LOCK:
        return
    notify_owner(
        kind="new_address_after_lock",
        event=event,
        user_id=event.user_id,
        client_ip=event.client_ip,
    )
