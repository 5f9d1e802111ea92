"""insert_rows (conduit/inserts.py) writes what bulk_create would: every value as its field
converts it, several models at once (one statement on PostgreSQL), nothing half-written."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from articles.models import ArticleTag
from articles.tests.factories import ArticleFactory
from conduit.inserts import insert_rows
from events.models import EventRecord
from tags.models import Tag

pytestmark = pytest.mark.django_db(transaction=True)

MOMENT = datetime(2026, 11, 26, 15, 4, 5, 123456, tzinfo=UTC)


def record(event_id: uuid.UUID | None = None, **fields) -> EventRecord:
    return EventRecord(
        event_id=event_id or uuid.uuid4(),
        type="samples.SampleHappened",
        version=1,
        occurred_at=MOMENT,
        aggregate_type="sample",
        **fields,
    )


def test_the_rows_read_back_as_they_were_given():
    cause = uuid.uuid4()
    payload = {"text": "quote ' double \" backslash \\ é ☃", "nested": [1, None, {"a": True}]}
    first = record(payload=payload, actor_id=7, request_id="req-1", causation_id=cause)
    second = record(payload="a JSON string", aggregate_id="x" * 200)
    delivery = DBTaskResult(
        args_kwargs={"args": [str(first.event_id), "some.handler"], "kwargs": {}},
        task_path="events.outbox.deliver_event",
        backend_name="default",
        run_after=MOMENT,
    )

    insert_rows([first, second], [delivery])

    stored = {row.event_id: row for row in EventRecord.objects.all()}
    assert stored[first.event_id].payload == payload
    assert stored[first.event_id].occurred_at == MOMENT  # microseconds and offset kept
    assert (stored[first.event_id].actor_id, stored[first.event_id].causation_id) == (7, cause)
    assert stored[second.event_id].payload == "a JSON string"
    assert stored[second.event_id].causation_id is None
    assert stored[second.event_id].aggregate_id == "x" * 200
    [task] = DBTaskResult.objects.all()
    assert (task.id, task.args_kwargs, task.run_after) == (
        delivery.id,
        delivery.args_kwargs,
        MOMENT,
    )
    assert task.enqueued_at is not None  # auto_now_add, as pre_save sets it
    assert (task.status, task.worker_ids, task.return_value) == ("READY", [], None)
    assert not first._state.adding and first._state.db == "default"


def test_rows_whose_key_the_database_assigns():
    article = ArticleFactory(tag_list=[])
    tags = [Tag.objects.create(name="a"), Tag.objects.create(name="b")]
    links = [
        ArticleTag(article=article, tag=tag, position=n, article_created_at=article.created_at)
        for n, tag in enumerate(tags)
    ]

    insert_rows(links)

    assert list(
        ArticleTag.objects.filter(article=article).order_by("position").values_list("tag__name")
    ) == [("a",), ("b",)]


def test_several_models_go_in_one_statement_on_postgresql_and_in_one_each_elsewhere():
    with CaptureQueriesContext(connection) as captured:
        insert_rows([record(payload={}), record(payload={})], [record(payload={})])

    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert EventRecord.objects.count() == 3


def test_a_row_that_breaks_a_constraint_writes_none_of_them():
    taken = record(payload={})
    insert_rows([taken])

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([record(payload={"new": 1}), record(payload={}, event_id=taken.event_id)])

    assert list(EventRecord.objects.values_list("event_id", flat=True)) == [taken.event_id]
