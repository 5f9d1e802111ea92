"""The welcome email, sent by the worker after an account is created.

`send_welcome_email` is wired to UserRegistered in users/receivers.py as a background handler:
registration only writes the delivery row (in its own transaction, with the account), so a
slow or failing mail server never delays or fails it. A failure to send raises, and the
worker retries the delivery with backoff (EVENTS_MAX_ATTEMPTS, then a dead letter in the
admin). Once per account: the handler records WelcomeEmail before sending, in the delivery's
transaction, so a failed send rolls the record back for the retry, and a delivery that is
run again anyway (a redelivery, a replay, a concurrent twin) finds the record and sends
nothing. The delivery's receipt makes the same guarantee per event; the record makes it per
account.
"""

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from users.events import UserRegistered
from users.models import User, WelcomeEmail


def send_welcome_email(event: UserRegistered) -> None:
    """Background handler (UserRegistered): welcome the new account at its address now."""
    account = User.objects.filter(pk=event.user_id).values("username", "email").first()
    if account is None:  # removed before the worker got to it
        return
    if WelcomeEmail.objects.filter(pk=event.user_id).exists():
        return
    try:
        with transaction.atomic():
            WelcomeEmail.objects.create(user_id=event.user_id)
    except IntegrityError:  # welcomed already
        return
    send_mail(
        f"Welcome to Conduit, {account['username']}",
        render_to_string("users/welcome_email.txt", account),
        None,  # DEFAULT_FROM_EMAIL
        [account["email"]],
    )
