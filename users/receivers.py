"""users' reactions: a new account is welcomed by email, from the worker (users/emails.py).
Which reads its events renew is users/reads.py."""

from events.core.wiring import HandlerTable, background
from users.emails import send_welcome_email
from users.events import UserRegistered

EVENT_HANDLERS: HandlerTable = {
    UserRegistered: [background(send_welcome_email)],
}
