"""The security events: system events of the "security" category that change no read, and
come back equal from the audit trail."""

import dataclasses
from datetime import UTC, datetime

import pytest

from conduit.readcache import renewals
from events.bootstrap import database_outbox
from events.core.bus import EventBus
from events.core.wiring import register_handlers
from events.system.security import events as security
from events.system.security.receivers import EVENT_HANDLERS
from events.system.security.tests.conftest import recorded
from events.testing import assert_same_events

SECURITY_EVENTS = [
    security.UserLoginAttempted,
    security.UserAccountLocked,
    security.UserAccountUnlocked,
    security.SuspiciousLoginActivity,
    security.UserPasswordChanged,
    security.UserEmailChanged,
    security.RateLimitExceeded,
]


@pytest.mark.parametrize("event_type", SECURITY_EVENTS, ids=lambda cls: cls.__name__)
def test_security_events_are_frozen_documented_facts_that_change_no_read_but_the_user(event_type):
    assert event_type.__dataclass_params__.frozen
    assert "__slots__" in event_type.__dict__
    assert all(field.kw_only for field in dataclasses.fields(event_type))
    assert event_type.__doc__
    assert event_type.category == "security"
    # A new password or email changes the user behind a token, which reads remember.
    changes_the_user = {security.UserPasswordChanged, security.UserEmailChanged}
    assert (event_type in renewals()) is (event_type in changes_the_user)
    assert event_type.aggregate_type == "user"
    assert event_type.aggregate_id_field in {field.name for field in dataclasses.fields(event_type)}


@pytest.mark.django_db
def test_security_events_come_back_equal_from_the_audit_trail(django_capture_on_commit_callbacks):
    until = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    published = [
        security.UserLoginAttempted(
            email="a@b.c",
            user_id=None,
            succeeded=False,
            outcome="failed",
            client_ip="192.0.2.1",
            user_agent="ua",
        ),
        security.UserAccountLocked(
            user_id=7,
            locked_until=until,
            failures=5,
            window_seconds=900,
            client_ip="192.0.2.1",
            scope="address",
            addresses=1,
        ),
        security.UserAccountLocked(
            user_id=None,
            locked_until=until,
            failures=12,
            window_seconds=900,
            client_ip="192.0.2.9",
            scope="account",
            addresses=10,
        ),
        security.UserAccountUnlocked(user_id=7, unlocked_by_id=None, locked_until=until),
        security.SuspiciousLoginActivity(
            reason="credential_stuffing",
            client_ip="192.0.2.1",
            user_id=None,
            accounts=10,
            failures=12,
            window_seconds=600,
        ),
        security.UserPasswordChanged(user_id=7),
        security.UserEmailChanged(user_id=7, old_email="a@b.c", new_email="d@e.f"),
        security.RateLimitExceeded(
            scope="login", client_ip="192.0.2.1", user_id=None, path="/api/x", rate="1/minute"
        ),
    ]
    bus = EventBus(outbox=database_outbox())

    with django_capture_on_commit_callbacks(execute=True):
        for event in published:
            bus.publish(event)

    for event_type in {type(event) for event in published}:
        assert_same_events(
            recorded(event_type), [event for event in published if type(event) is event_type]
        )


def test_the_wiring_subscribes_what_it_names():
    bus = EventBus()
    register_handlers(EVENT_HANDLERS, bus)

    # The lockout is no handler: it is decided in the login's transaction (hooks.py).
    assert bus.subscribers(security.UserLoginAttempted) == {
        "inline": [],
        "background": [
            "events.system.security.receivers.detect_credential_stuffing",
            "events.system.security.receivers.flag_new_ip_after_lock",
        ],
    }
