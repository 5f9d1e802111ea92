"""GET /api/tags and tags.services."""

import threading

import pytest
from django.db import connection

from articles.services import article_create
from articles.tests.factories import ArticleFactory
from events.models import EventRecord
from events.ops.events import BulkOperationCompleted
from tags.events import TagCreated, TagDeleted
from tags.models import Tag
from tags.services import tags_delete_unused, tags_get_or_create
from tags.tests.factories import TagFactory
from users.tests.factories import UserFactory


@pytest.mark.django_db
def test_no_tags_in_use_gives_an_empty_list(api_client):
    TagFactory(name="orphan")

    assert api_client.get("/api/tags").json() == {"tags": []}


@pytest.mark.django_db
def test_tags_are_listed_most_used_first_then_by_name(api_client):
    ArticleFactory(tag_list=["python", "django", "zeta"])
    ArticleFactory(tag_list=["django", "alpha"])
    ArticleFactory(tag_list=["django", "python"])
    TagFactory(name="unused")

    response = api_client.get("/api/tags")

    assert response.status_code == 200
    assert response.json() == {"tags": ["django", "python", "alpha", "zeta"]}


@pytest.mark.django_db
def test_every_tag_in_use_is_listed_not_just_a_top_n(api_client):
    for index in range(30):
        ArticleFactory(tag_list=[f"tag-{index:02}"])

    assert len(api_client.get("/api/tags").json()["tags"]) == 30


@pytest.mark.django_db
def test_a_tag_dropped_from_its_only_article_leaves_the_list(alice, client_for, api_client):
    article = ArticleFactory(author=alice, tag_list=["gone", "kept"])

    client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"tagList": ["kept"]}}, format="json"
    )

    assert api_client.get("/api/tags").json() == {"tags": ["kept"]}


@pytest.mark.django_db
def test_the_tag_list_costs_one_query(api_client, django_assert_num_queries):
    ArticleFactory(tag_list=["a", "b"])

    with django_assert_num_queries(1):
        api_client.get("/api/tags")


@pytest.mark.django_db
def test_tags_get_or_create_creates_only_new_names_and_announces_them(mock_event_bus):
    TagFactory(name="old")

    tags = tags_get_or_create(names=["new", "old", "new"])

    assert [tag.name for tag in tags] == ["new", "old"]
    assert Tag.objects.count() == 2
    assert mock_event_bus.events_of(TagCreated) == [
        TagCreated(
            event_id=mock_event_bus.published[0].event_id,
            occurred_at=mock_event_bus.published[0].occurred_at,
            name="new",
        )
    ]


@pytest.mark.django_db
def test_a_tag_created_concurrently_is_fetched_not_duplicated(mock_event_bus, monkeypatch):
    # As if another request inserted "race" between our read and our insert.
    TagFactory(name="race")
    real_filter, reads = Tag.objects.filter, []

    def stale_first_read(**kwargs):
        reads.append(kwargs)
        return Tag.objects.none() if len(reads) == 1 else real_filter(**kwargs)

    monkeypatch.setattr(Tag.objects, "filter", stale_first_read)

    tags = tags_get_or_create(names=["race"])

    assert tags[0].name == "race"
    assert Tag.objects.count() == 1
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_deleting_unused_tags_keeps_tags_in_use_and_announces_the_rest(
    mock_event_bus, operation_clock
):
    ArticleFactory(tag_list=["used"])
    TagFactory(name="unused")

    assert tags_delete_unused() == ["unused"]

    assert list(Tag.objects.values_list("name", flat=True)) == ["used"]
    mock_event_bus.assert_published_exactly(
        [
            TagDeleted(name="unused"),
            BulkOperationCompleted(
                kind="tags.delete_unused",
                count=1,
                succeeded=1,
                skipped=0,
                details="",
                events_published={"tags.TagDeleted": 1},
                duration_ms=0,
            ),
        ]
    )


@pytest.mark.django_db
def test_a_tag_cannot_be_renamed_or_added_in_the_admin(client, alice):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    article_create(author=alice, title="One", description="d", body="b", tag_list=["old"])
    tag = Tag.objects.get(name="old")

    response = client.post(f"/admin/tags/tag/{tag.pk}/change/", {"name": "new"})

    assert response.status_code in (200, 302)
    assert list(Tag.objects.values_list("name", flat=True)) == ["old"]
    assert client.get("/api/articles", {"tag": "old"}).json()["articlesCount"] == 1
    assert client.get("/admin/tags/tag/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_concurrent_articles_with_one_new_tag_create_it_once_and_announce_it_once(alice, bob):
    barrier, errors = threading.Barrier(2), []

    def create(author) -> None:
        try:
            barrier.wait()
            article_create(
                author=author, title="Fresh", description="d", body="b", tag_list=["fresh", "new"]
            )
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(author,)) for author in (alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(Tag.objects.values_list("name", "articles_count")) == [("fresh", 2), ("new", 2)]
    created = EventRecord.objects.filter(type="tags.TagCreated")
    assert sorted(record.payload["name"] for record in created) == ["fresh", "new"]
