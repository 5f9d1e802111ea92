"""The audit trail is append-only, with one audited exception: a forgotten account's personal
data is blanked in the stored payloads (events.ops.redaction), and the redaction is itself
recorded."""

from dataclasses import dataclass
from typing import ClassVar

import pytest

from articles.events import ArticleCreated
from events import bus
from events.core.event import Event, unregister
from events.models import REDACTED, AppendOnlyError, EventRecord
from events.ops.checks import check_personal_data
from events.ops.events import PersonalDataRedacted
from events.ops.redaction import personal_data_records, personal_data_redact
from events.system.security.events import UserLoginAttempted
from events.testing import assert_same_events, recorded
from users.events import UserLoggedIn, UserRegistered

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(fresh_bus):
    """Alice's and bob's records, as their services would have published them."""
    for event in (
        UserRegistered(user_id=1, username="alice", email="alice@example.com"),
        UserRegistered(user_id=2, username="bob", email="bob@example.com"),
        UserLoggedIn(user_id=1, username="alice"),
        UserLoginAttempted(
            email="alice@example.com",
            user_id=1,
            succeeded=True,
            outcome="succeeded",
            client_ip="203.0.113.9",
            user_agent="curl",
        ),
        ArticleCreated(
            article_id=7, author_id=1, slug="alices-day", title="Alice's day", tag_names=()
        ),
    ):
        bus.publish(event)


def payload(type_name: str, user_id: int) -> dict:
    return EventRecord.objects.get(type=type_name, payload__user_id=user_id).payload


def test_records_cannot_be_changed_or_deleted_in_any_other_way(trail):
    record = EventRecord.objects.get(type="users.UserRegistered", payload__user_id=1)

    with pytest.raises(AppendOnlyError):
        EventRecord.objects.filter(pk=record.pk).update(payload={})
    with pytest.raises(AppendOnlyError):
        EventRecord.objects.filter(pk=record.pk).delete()
    record.payload = {}
    with pytest.raises(AppendOnlyError):
        record.save()
    assert payload("users.UserRegistered", 1)["email"] == "alice@example.com"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientNoted(Event):
    """A fact filed under a client's address (personal data of the account it names)."""

    type_name: ClassVar[str] = "tests.ClientNoted"
    aggregate_type: ClassVar[str] = "client"
    aggregate_id_field: ClassVar[str] = "client_ip"
    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"user_id": ("client_ip", "agent")}

    user_id: int
    client_ip: str
    agent: str | None
    note: str


def test_redaction_blanks_only_the_named_fields_and_an_aggregate_that_copies_one(fresh_bus):
    bus.publish(ClientNoted(user_id=1, client_ip="203.0.113.9", agent=None, note="hello"))
    noted = EventRecord.objects.get(type=ClientNoted.type_name)

    changed = EventRecord.objects.redact({noted.pk: ("client_ip", "agent", "missing")})

    noted.refresh_from_db()
    assert changed == 1
    assert noted.payload == {"user_id": 1, "client_ip": REDACTED, "agent": None, "note": "hello"}
    assert (noted.aggregate_type, noted.aggregate_id) == ("client", REDACTED)
    assert EventRecord.objects.redact({noted.pk: ("client_ip",)}) == 0, "already blank"


def test_forgetting_alice_redacts_her_records_only_and_records_it(trail):
    changed = personal_data_redact(user_id=1)

    assert changed == 4
    assert payload("users.UserRegistered", 1) == {
        "user_id": 1,
        "username": REDACTED,
        "email": REDACTED,
    }
    assert payload("users.UserLoggedIn", 1) == {"user_id": 1, "username": REDACTED}
    assert payload("users.UserRegistered", 2) == {
        "user_id": 2,
        "username": "bob",
        "email": "bob@example.com",
    }
    article = EventRecord.objects.get(type="articles.ArticleCreated")
    assert (article.payload["slug"], article.payload["title"]) == (REDACTED, REDACTED)
    assert_same_events(
        recorded(PersonalDataRedacted),
        [
            PersonalDataRedacted(
                user_id=1,
                records=4,
                event_types=(
                    "articles.ArticleCreated",
                    "events.UserLoginAttempted",
                    "users.UserLoggedIn",
                    "users.UserRegistered",
                ),
            )
        ],
    )


def test_a_second_redaction_finds_nothing_and_records_nothing(trail):
    personal_data_redact(user_id=1)
    count = EventRecord.objects.count()

    assert personal_data_redact(user_id=1) == 0
    assert EventRecord.objects.count() == count


def test_content_kept_keeps_its_history(trail):
    found = personal_data_records(user_id=1, keep_aggregates=("article", "comment"))

    assert sorted(record.type for record in found) == [
        "events.UserLoginAttempted",
        "users.UserLoggedIn",
        "users.UserRegistered",
    ]


def test_a_personal_data_declaration_must_name_real_fields():
    @dataclass(frozen=True, slots=True, kw_only=True)
    class BadlyDeclared(Event):
        type_name: ClassVar[str] = "tests.BadlyDeclared"
        personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"user_id": ("nickname",)}

        user_id: int

    try:
        errors = [error for error in check_personal_data() if error.obj is BadlyDeclared]
    finally:
        unregister("tests.BadlyDeclared")

    assert [(error.id, error.msg) for error in errors] == [
        (
            "events.E005",
            "Event tests.BadlyDeclared declares personal data in fields it does not have: "
            "nickname.",
        )
    ]
