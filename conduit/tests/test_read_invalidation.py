"""The read cache forgets after exactly the events that can change a read: the apps' reads.py
tables (conduit.readcache.renewals) name every event class that renews reads, every other
class is listed below as leaving them alone (with why), and publishing a sample of each
through the real bus renews a stamp if and only if a table names it. A new event class is in
neither until its author says which it is. Which reads each event forgets, and that none is
stale after it, is conduit/tests/test_scoped_reads.py."""

import dataclasses
import typing

import pytest
from django.core.cache import caches

from articles.reads import LISTS, ROWS, article_scope, feed_scope
from conduit.auth import user_scope
from conduit.readcache import EVERYTHING, renewals, stamp_key
from events import bus
from events.core.event import Event
from events.ops.catalog import catalogued_event_types
from tags.reads import TAGS_IN_USE
from users.reads import followers_scope, viewer_scope

pytestmark = pytest.mark.django_db

# The event classes that change no API read, by type name.
LEAVES_READS_ALONE = {
    # last_login is shown by no read.
    "users.UserLoggedIn",
    # Published in the transaction of the article event that changed the tags (which renews
    # the reads), or for a tag no article uses (which no read lists).
    "tags.TagCreated",
    "tags.TagUsed",
    "tags.TagRemoved",
    "tags.TagDeleted",
    # A flag or a score changes nothing anyone reads; a hide does (ContentHidden).
    "events.SpamDetected",
    "events.ContentFlagged",
    # Security, analytics and maintenance tell facts about the system, shown by no API read
    # (an unlock changes who may log in, not what a read shows).
    "events.UserLoginAttempted",
    "events.UserAccountLocked",
    "events.UserAccountUnlocked",
    "events.SuspiciousLoginActivity",
    "events.RateLimitExceeded",
    "events.ArticleViewIncremented",
    "events.SearchPerformed",
    "events.SlowQueryDetected",
    "events.HighTrafficDetected",
    "events.UserEngagementMilestone",
    "events.PopularTagDetected",
    "events.UserDataCleanupRequested",  # each removal it leads to publishes its own event
    "events.BulkOperationCompleted",  # likewise, each item's own event
    "events.PersonalDataRedacted",
    "events.OrphanedDataDetected",
    "events.DatabaseConstraintViolation",
    # Webhook endpoints and deliveries are shown by the admin only, never by an API read.
    "webhooks.EndpointCreated",
    "webhooks.EndpointChanged",
    "webhooks.SecretRotated",
    "webhooks.EndpointPaused",
    "webhooks.EndpointDeleted",
    "webhooks.DeliveryResent",
}

SAMPLES: dict[object, object] = {int: 1, str: "x", bool: True, float: 1.0}
# Every scope a sample event (ids 1) can touch.
SCOPES = (
    EVERYTHING,
    ROWS,
    LISTS,
    TAGS_IN_USE,
    article_scope(1),
    user_scope(1),
    viewer_scope(1),
    feed_scope(1),
    followers_scope(1),
)


def sample(event_type: type[Event]) -> Event:
    """An instance with a plausible value in every field."""
    hints = typing.get_type_hints(event_type)
    values = {}
    for field in dataclasses.fields(event_type):
        if field.name in ("event_id", "occurred_at"):
            continue
        hint = hints[field.name]
        options = typing.get_args(hint) if typing.get_origin(hint) is not tuple else ()
        kind = next((option for option in options if option in SAMPLES), hint)
        values[field.name] = () if typing.get_origin(hint) is tuple else SAMPLES.get(kind)
    return event_type(**values)


def stamps() -> dict[str, object]:
    return {scope: caches["default"].get(stamp_key(scope)) for scope in SCOPES}


def test_every_event_class_either_renews_reads_or_is_said_to_leave_them_alone():
    renewing = {cls.type_name for cls in renewals()}
    catalogued = {cls.type_name for cls in catalogued_event_types()}

    assert not renewing & LEAVES_READS_ALONE
    undecided = catalogued - renewing - LEAVES_READS_ALONE
    assert not undecided, (
        f"{sorted(undecided)}: say which reads each renews in its app's reads.py "
        "(RENEWED_BY, with a scenario in test_scoped_reads.py), or add it to LEAVES_READS_ALONE"
    )
    assert not LEAVES_READS_ALONE - catalogued, "a class listed here is no longer catalogued"


@pytest.mark.parametrize("event_type", catalogued_event_types(), ids=lambda cls: cls.type_name)
def test_an_event_renews_reads_exactly_when_a_table_says_so(
    event_type, django_capture_on_commit_callbacks
):
    caches["default"].set_many({stamp_key(scope): "before" for scope in SCOPES})

    with django_capture_on_commit_callbacks(execute=True):
        bus.publish(sample(event_type))

    renewed = {scope for scope, stamp in stamps().items() if stamp != "before"}
    assert bool(renewed) == (event_type in renewals()), renewed
