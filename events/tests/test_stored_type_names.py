"""The audit trail outlives the layout: records stored before the system concerns moved under
events/system/ (their events were in events/system/<concern>.py, the event system's own in
events/system/maintenance.py) load, by the type name they were stored under, as the classes
that now declare them. Each row below is a record as the old layout stored it."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from events.core.event import event_types, from_payload
from events.models import EventRecord
from events.ops import events as ops_events
from events.outbox import event_from_record
from events.system.analytics import events as analytics
from events.system.maintenance import events as maintenance
from events.system.moderation import events as moderation
from events.system.security import events as security

pytestmark = pytest.mark.django_db

WHEN = "2026-12-04T15:00:00+00:00"
ITEM = {"item_id": 4, "content_type": "comment", "article_id": 2, "comment_id": 9, "author_id": 3}

STORED = [
    # (type, version, payload, the class that loads it now)
    ("events.UserLoginAttempted", 1,
     {"email": "ann@example.com", "user_id": 3, "succeeded": False, "outcome": "bad_password",
      "client_ip": "203.0.113.5", "user_agent": "curl/8"}, security.UserLoginAttempted),
    ("events.UserAccountLocked", 1,
     {"user_id": 3, "locked_until": WHEN, "failures": 5, "window_seconds": 900,
      "client_ip": "203.0.113.5", "scope": "account", "addresses": 1},
     security.UserAccountLocked),
    ("events.UserEmailChanged", 1,
     {"user_id": 3, "old_email": "a@example.com", "new_email": "b@example.com"},
     security.UserEmailChanged),
    ("events.UserAccountUnlocked", 1,
     {"user_id": 3, "unlocked_by_id": 1, "locked_until": WHEN}, security.UserAccountUnlocked),
    ("events.SuspiciousLoginActivity", 1,
     {"reason": "many_accounts", "client_ip": "203.0.113.5", "user_id": None, "accounts": 6,
      "failures": 12, "window_seconds": 900}, security.SuspiciousLoginActivity),
    ("events.UserPasswordChanged", 1, {"user_id": 3}, security.UserPasswordChanged),
    ("events.RateLimitExceeded", 1,
     {"scope": "login", "client_ip": "203.0.113.5", "user_id": None, "path": "/api/users/login",
      "rate": "10/min"}, security.RateLimitExceeded),
    ("events.SpamDetected", 1, ITEM | {"score": 7, "reasons": ["links: 4"]},
     moderation.SpamDetected),
    ("events.ContentFlagged", 1,
     ITEM | {"source": "user", "reason": "abuse", "flagger_id": 5, "open_flags": 1},
     moderation.ContentFlagged),
    ("events.ContentHidden", 1, ITEM | {"trigger": "flags"}, moderation.ContentHidden),
    ("events.ContentApproved", 1, ITEM | {"moderator_id": 1, "was_hidden": True},
     moderation.ContentApproved),
    ("events.ContentRemoved", 1, ITEM | {"moderator_id": 1, "was_hidden": False},
     moderation.ContentRemoved),
    ("events.ArticleViewIncremented", 1, {"article_id": 2, "slug": "how-to"},
     analytics.ArticleViewIncremented),
    ("events.SearchPerformed", 1, {"kind": "tag", "value": "django", "results": 4},
     analytics.SearchPerformed),
    ("events.SlowQueryDetected", 1,
     {"fingerprint": "ab12", "shape": "SELECT ...", "duration_ms": 250.5,
      "path": "/api/articles"}, analytics.SlowQueryDetected),
    ("events.HighTrafficDetected", 1,
     {"window_start": WHEN, "requests": 12000, "threshold": 10000},
     analytics.HighTrafficDetected),
    ("events.UserEngagementMilestone", 1,
     {"user_id": 3, "kind": "articles_written", "milestone": 10, "count": 10},
     analytics.UserEngagementMilestone),
    ("events.PopularTagDetected", 1, {"name": "django", "threshold": 50, "articles_count": 50},
     analytics.PopularTagDetected),
    ("events.UserDataCleanupRequested", 1, {"user_id": 3, "keep_content": True},
     maintenance.UserDataCleanupRequested),
    ("events.BulkOperationCompleted", 1,
     {"kind": "users.delete", "count": 3, "succeeded": 2, "skipped": 1, "details": "",
      "events_published": {"users.UserDeleted": 2}, "duration_ms": 40},
     ops_events.BulkOperationCompleted),
    ("events.PersonalDataRedacted", 1,
     {"user_id": 3, "records": 4, "event_types": ["users.UserRegistered"]},
     ops_events.PersonalDataRedacted),
    ("events.OrphanedDataDetected", 1, {"kind": "tag", "count": 2, "sample_ids": ["7", "8"]},
     ops_events.OrphanedDataDetected),
    ("events.DatabaseConstraintViolation", 1,
     {"kind": "unique", "constraint": "users_user_email_key", "table": "users_user"},
     ops_events.DatabaseConstraintViolation),
]  # fmt: skip


def test_every_moved_class_is_covered():
    """A system event class added later is stored under a name of its own; every class of the
    moved modules is in the table above, so none of them can lose its stored name unseen."""
    moved = {
        cls
        for cls in event_types().values()
        if cls.__module__.startswith("events.system.") or cls.__module__ == "events.ops.events"
    } - {  # came after the move, under names of their own
        cls for cls in event_types().values() if cls.type_name.startswith("webhooks.")
    }

    assert moved == {cls for *_, cls in STORED}


@pytest.mark.parametrize(("type_name", "version", "payload", "cls"), STORED)
def test_a_stored_record_loads_as_the_class_that_declares_it_now(type_name, version, payload, cls):
    event_id = uuid4()
    occurred_at = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    EventRecord.objects.create(
        event_id=event_id, type=type_name, version=version, payload=payload,
        occurred_at=occurred_at, aggregate_type=cls.aggregate_type,
    )  # fmt: skip
    record = EventRecord.objects.get(pk=event_id)

    event = from_payload(
        record.type,
        record.version,
        record.payload,
        event_id=record.event_id,
        occurred_at=record.occurred_at,
    )

    assert type(event) is cls
    assert event.type_name == type_name
    assert event.event_id == event_id
    assert event.to_payload() == payload
    assert event_from_record(record) == event
