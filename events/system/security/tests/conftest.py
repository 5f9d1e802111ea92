"""Logins sent through the API as production sends them: the attempt commits, then its
receivers run (the lockout inline, the detectors through the on-commit delivery)."""

import pytest

from events.core.event import Event
from events.models import EventRecord
from events.outbox import event_from_record
from users.tests.factories import DEFAULT_PASSWORD

LOGIN = "/api/users/login"
ADDRESS = "203.0.113.7"
AGENT = "Mozilla/5.0 (pytest)"


@pytest.fixture
def attempt_login(api_client, django_capture_on_commit_callbacks):
    """`attempt_login(email, password, ip=...)`: one POST /users/login from `ip`."""

    def attempt(
        email: str = "alice@example.com",
        password: str = DEFAULT_PASSWORD,
        *,
        ip: str = ADDRESS,
        agent: str = AGENT,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(
                LOGIN,
                {"user": {"email": email, "password": password}},
                format="json",
                REMOTE_ADDR=ip,
                HTTP_USER_AGENT=agent,
            )

    return attempt


def recorded(event_type: type[Event]) -> list[Event]:
    """The audit trail's events of one class, oldest first, rebuilt from their records."""
    records = EventRecord.objects.filter(type=event_type.type_name).order_by("occurred_at")
    return [event_from_record(record) for record in records]
