"""The mail backend of a production server that was given no EMAIL_URL."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend


class UnconfiguredEmailBackend(BaseEmailBackend):
    """Refuses every send, so that the delivery that sends it fails and is retried (and is
    seen failing) once EMAIL_URL is set, instead of its mail going nowhere."""

    def send_messages(self, email_messages: Iterable[Any]) -> int:
        raise ImproperlyConfigured("EMAIL_URL is not set: no email can be sent (DEBUG is off).")
