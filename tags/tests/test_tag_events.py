"""Tag events say one thing each: a detachment (TagRemoved) or a deletion (TagDeleted), and
the audit trail's older TagRemoved records of a deletion still load, as TagDeleted."""

from datetime import UTC, datetime
from uuid import UUID

import pytest

from articles.tests.factories import ArticleFactory
from events.core.event import event_types, from_payload
from events.models import EventRecord
from events.ops.events import BulkOperationCompleted
from events.outbox import event_from_record
from events.testing import assert_same_events
from tags.events import TagCreated, TagDeleted, TagEvent, TagRemoved
from tags.models import Tag
from tags.services import tags_delete_unused, tags_get_or_create
from tags.tests.factories import TagFactory

EVENT_ID = UUID("6f1c6d64-5f0c-4d8a-9a55-1b0b9b1f2a10")
OCCURRED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def load(version: int, payload: dict):
    return from_payload(
        "tags.TagRemoved", version, payload, event_id=EVENT_ID, occurred_at=OCCURRED_AT
    )


def test_a_version_1_tag_removed_without_an_article_loads_as_tag_deleted():
    assert load(1, {"name": "old", "article_id": None}) == TagDeleted(
        name="old", event_id=EVENT_ID, occurred_at=OCCURRED_AT
    )


def test_a_version_1_tag_removed_from_an_article_loads_as_tag_removed():
    assert load(1, {"name": "old", "article_id": 7}) == TagRemoved(
        name="old", article_id=7, event_id=EVENT_ID, occurred_at=OCCURRED_AT
    )


def test_a_version_2_tag_removed_loads_as_itself():
    event = TagRemoved(name="x", article_id=3)

    assert load(2, event.to_payload()) == TagRemoved(
        name="x", article_id=3, event_id=EVENT_ID, occurred_at=OCCURRED_AT
    )


def test_the_tag_aggregate_is_declared_once_by_its_base_class():
    tag_events = [cls for cls in event_types().values() if issubclass(cls, TagEvent)]

    assert sorted(cls.__name__ for cls in tag_events) == [
        "TagCreated",
        "TagDeleted",
        "TagRemoved",
        "TagUsed",
    ]
    assert {(cls.aggregate_type, cls.aggregate_id_field) for cls in tag_events} == {("tag", "name")}
    assert "tags.TagEvent" not in event_types(), "an aggregate's base is no event of its own"


@pytest.mark.django_db
def test_deleting_unused_tags_publishes_tag_deleted_for_each(mock_event_bus, operation_clock):
    ArticleFactory(tag_list=["used"])
    TagFactory(name="b-unused")
    TagFactory(name="a-unused")

    deleted = tags_delete_unused()

    assert sorted(deleted) == ["a-unused", "b-unused"]
    mock_event_bus.assert_published_exactly(
        [
            *(TagDeleted(name=name) for name in deleted),
            BulkOperationCompleted(
                kind="tags.delete_unused",
                count=2,
                succeeded=2,
                skipped=0,
                details="",
                events_published={"tags.TagDeleted": 2},
                duration_ms=0,
            ),
        ]
    )


@pytest.mark.django_db
def test_tag_deleted_is_filed_under_the_tag_and_loads_back_whole(
    django_capture_on_commit_callbacks,
):
    TagFactory(name="unused")

    with django_capture_on_commit_callbacks(execute=True):
        tags_delete_unused()

    record = EventRecord.objects.exclude(type=BulkOperationCompleted.type_name).get()
    assert (record.type, record.version, record.payload) == (
        "tags.TagDeleted",
        1,
        {"name": "unused"},
    )
    assert (record.aggregate_type, record.aggregate_id) == ("tag", "unused")
    assert_same_events([event_from_record(record)], [TagDeleted(name="unused")])


@pytest.mark.django_db
def test_new_tag_names_publish_tag_created_once_each(mock_event_bus):
    TagFactory(name="old")

    tags_get_or_create(names=["new", "old", "newer"])

    mock_event_bus.assert_published_exactly([TagCreated(name="new"), TagCreated(name="newer")])


@pytest.mark.django_db
def test_the_longest_tag_name_is_filed_whole_as_its_aggregate_id(
    django_capture_on_commit_callbacks,
):
    name = "t" * Tag._meta.get_field("name").max_length

    with django_capture_on_commit_callbacks(execute=True):
        tags_get_or_create(names=[name])

    record = EventRecord.objects.get()
    assert (record.type, record.aggregate_type, record.aggregate_id) == (
        "tags.TagCreated",
        "tag",
        name,
    )
