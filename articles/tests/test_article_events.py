"""Every article write over HTTP publishes exactly its events; failed requests publish none."""

import pytest

from articles.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleFavorited,
    ArticleUnfavorited,
    ArticleUpdated,
)
from articles.models import Article
from articles.tests.factories import ArticleFactory, FavoriteFactory
from events.models import EventRecord
from tags.events import TagCreated, TagRemoved, TagUsed
from tags.tests.factories import TagFactory

NEW_ARTICLE = {"title": "Dragons", "description": "d", "body": "b", "tagList": ["new", "old"]}


@pytest.mark.django_db
def test_creating_an_article_publishes_article_created_and_its_tag_events(
    alice, client_for, mock_event_bus
):
    TagFactory(name="old")

    response = client_for(alice).post("/api/articles", {"article": NEW_ARTICLE}, format="json")

    article = Article.objects.get()
    assert response.status_code == 201
    mock_event_bus.assert_published_exactly(
        [
            TagCreated(name="new"),
            ArticleCreated(
                article_id=article.pk,
                author_id=alice.pk,
                slug="dragons",
                title="Dragons",
                tag_names=("new", "old"),
            ),
            TagUsed(name="new", article_id=article.pk),
            TagUsed(name="old", article_id=article.pk),
        ]
    )


@pytest.mark.django_db
def test_article_created_is_recorded_in_the_audit_trail_after_commit(
    alice, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post("/api/articles", {"article": NEW_ARTICLE}, format="json")

    article_id = Article.objects.get().pk
    record = EventRecord.objects.get(type="articles.ArticleCreated")
    assert response.status_code == 201
    assert record.payload == {
        "article_id": article_id,
        "author_id": alice.pk,
        "slug": "dragons",
        "title": "Dragons",
        "tag_names": ["new", "old"],
    }
    assert (record.aggregate_type, record.aggregate_id) == ("article", str(article_id))
    assert record.actor_id == alice.pk
    assert sorted(EventRecord.objects.values_list("type", flat=True)) == [
        "articles.ArticleCreated",
        "events.UserEngagementMilestone",  # alice's first article (analytics)
        "tags.TagCreated",
        "tags.TagCreated",
        "tags.TagUsed",
        "tags.TagUsed",
    ]


@pytest.mark.django_db
def test_a_create_that_fails_validation_publishes_nothing(alice, client_for, mock_event_bus):
    article = dict(NEW_ARTICLE, title="")

    response = client_for(alice).post("/api/articles", {"article": article}, format="json")

    assert response.status_code == 422
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_an_anonymous_create_publishes_nothing(api_client, mock_event_bus):
    response = api_client.post("/api/articles", {"article": NEW_ARTICLE}, format="json")

    assert response.status_code == 401
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_a_new_title_publishes_article_updated_with_the_old_slug(alice, client_for, mock_event_bus):
    article = ArticleFactory(author=alice, title="Dragons")

    client_for(alice).put(
        "/api/articles/dragons",
        {"article": {"title": "Wyverns", "body": "new body"}},
        format="json",
    )

    mock_event_bus.assert_published_exactly(
        [
            ArticleUpdated(
                article_id=article.pk,
                author_id=alice.pk,
                slug="wyverns",
                old_slug="dragons",
                changed_fields=("title", "slug", "body"),
            )
        ]
    )


@pytest.mark.django_db
def test_an_edit_that_keeps_the_slug_publishes_no_old_slug(alice, client_for, mock_event_bus):
    article = ArticleFactory(author=alice, title="Dragons")

    client_for(alice).put(
        "/api/articles/dragons", {"article": {"description": "new"}}, format="json"
    )

    mock_event_bus.assert_published_exactly(
        [
            ArticleUpdated(
                article_id=article.pk,
                author_id=alice.pk,
                slug="dragons",
                old_slug=None,
                changed_fields=("description",),
            )
        ]
    )


@pytest.mark.django_db
def test_changing_the_tag_list_publishes_tag_used_and_tag_removed(
    alice, client_for, mock_event_bus
):
    article = ArticleFactory(author=alice, tag_list=["keep", "drop"])

    client_for(alice).put(
        f"/api/articles/{article.slug}",
        {"article": {"tagList": ["keep", "add"]}},
        format="json",
    )

    mock_event_bus.assert_published_exactly(
        [
            TagCreated(name="add"),
            ArticleUpdated(
                article_id=article.pk,
                author_id=alice.pk,
                slug=article.slug,
                old_slug=None,
                changed_fields=("tag_list",),
            ),
            TagRemoved(name="drop", article_id=article.pk),
            TagUsed(name="add", article_id=article.pk),
        ]
    )


@pytest.mark.django_db
def test_clearing_the_tag_list_publishes_tag_removed_for_each(alice, client_for, mock_event_bus):
    article = ArticleFactory(author=alice, tag_list=["a", "b"])

    client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"tagList": []}}, format="json"
    )

    mock_event_bus.assert_published_exactly(
        [
            ArticleUpdated(
                article_id=article.pk,
                author_id=alice.pk,
                slug=article.slug,
                old_slug=None,
                changed_fields=("tag_list",),
            ),
            TagRemoved(name="a", article_id=article.pk),
            TagRemoved(name="b", article_id=article.pk),
        ]
    )


@pytest.mark.django_db
def test_a_forbidden_or_invalid_update_publishes_nothing(alice, bob, client_for, mock_event_bus):
    article = ArticleFactory(author=alice)

    forbidden = client_for(bob).put(
        f"/api/articles/{article.slug}", {"article": {"title": "x"}}, format="json"
    )
    invalid = client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"tagList": None}}, format="json"
    )

    assert (forbidden.status_code, invalid.status_code) == (403, 422)
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_deleting_an_article_publishes_article_deleted_and_tag_removed(
    alice, client_for, mock_event_bus
):
    article = ArticleFactory(author=alice, title="Dragons", tag_list=["a"])

    client_for(alice).delete("/api/articles/dragons")

    mock_event_bus.assert_published_exactly(
        [
            TagRemoved(name="a", article_id=article.pk),
            ArticleDeleted(
                article_id=article.pk, author_id=alice.pk, slug="dragons", title="Dragons"
            ),
        ]
    )


@pytest.mark.django_db
def test_a_forbidden_delete_publishes_nothing(alice, bob, client_for, mock_event_bus):
    article = ArticleFactory(author=alice)

    assert client_for(bob).delete(f"/api/articles/{article.slug}").status_code == 403
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_a_favorite_publishes_article_favorited_with_the_new_count(
    alice, bob, charlie, client_for, mock_event_bus
):
    article = ArticleFactory(author=alice)
    FavoriteFactory(user=charlie, article=article)

    client_for(bob).post(f"/api/articles/{article.slug}/favorite")

    mock_event_bus.assert_published_exactly(
        [ArticleFavorited(article_id=article.pk, user_id=bob.pk, favorites_count=2)]
    )


@pytest.mark.django_db
def test_a_repeated_favorite_publishes_nothing(alice, bob, client_for, mock_event_bus):
    article = ArticleFactory(author=alice)
    FavoriteFactory(user=bob, article=article)

    client_for(bob).post(f"/api/articles/{article.slug}/favorite")

    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_an_unfavorite_publishes_article_unfavorited_with_the_new_count(
    alice, bob, client_for, mock_event_bus
):
    article = ArticleFactory(author=alice)
    FavoriteFactory(user=bob, article=article)

    client_for(bob).delete(f"/api/articles/{article.slug}/favorite")

    mock_event_bus.assert_published_exactly(
        [ArticleUnfavorited(article_id=article.pk, user_id=bob.pk, favorites_count=0)]
    )


@pytest.mark.django_db
def test_a_repeated_unfavorite_publishes_nothing(alice, bob, client_for, mock_event_bus):
    article = ArticleFactory(author=alice)

    client_for(bob).delete(f"/api/articles/{article.slug}/favorite")

    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_an_anonymous_or_unknown_favorite_publishes_nothing(
    alice, api_client, client_for, mock_event_bus
):
    article = ArticleFactory()

    assert api_client.post(f"/api/articles/{article.slug}/favorite").status_code == 401
    assert client_for(alice).post("/api/articles/nope/favorite").status_code == 404
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_creating_an_article_writes_its_events_in_one_insert_and_their_deliveries_in_one_more(
    alice, client_for, django_assert_max_num_queries
):
    TagFactory(name="new")
    TagFactory(name="old")
    client = client_for(alice)

    # The token's user, then the unit of work: its savepoint (inside the test's transaction),
    # the article, the tags, their links, one statement per counter table, the events, their
    # deliveries, the release. It was 17 or more (an INSERT per event and per event's
    # deliveries, a savepoint pair around the slug).
    # 11, and the webhooks app's read of the receiving endpoints at the unit's end.
    with django_assert_max_num_queries(12) as captured:
        response = client.post("/api/articles", {"article": NEW_ARTICLE}, format="json")

    assert response.status_code == 201
    inserts = [query["sql"] for query in captured.captured_queries if "INSERT" in query["sql"]]
    assert sum('INTO "events_eventrecord"' in sql for sql in inserts) == 1
    assert sum('INTO "django_tasks_database_dbtaskresult"' in sql for sql in inserts) == 1
    savepoints = [query for query in captured.captured_queries if "SAVEPOINT" in query["sql"]]
    assert len(savepoints) == 2  # the unit's own SAVEPOINT and RELEASE, nothing else
    assert EventRecord.objects.count() == 3  # ArticleCreated and two TagUsed
