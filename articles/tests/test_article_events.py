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


def kinds(mock_event_bus) -> list[str]:
    return [type(event).__name__ for event in mock_event_bus.published]


@pytest.mark.django_db
def test_creating_an_article_publishes_article_created_and_its_tag_events(
    alice, client_for, mock_event_bus
):
    TagFactory(name="old")

    response = client_for(alice).post("/api/articles", {"article": NEW_ARTICLE}, format="json")

    article = Article.objects.get()
    assert response.status_code == 201
    mock_event_bus.assert_event_published(
        ArticleCreated,
        article_id=article.pk,
        author_id=alice.pk,
        slug="dragons",
        title="Dragons",
        tag_names=("new", "old"),
    )
    mock_event_bus.assert_event_published(TagCreated, name="new")
    assert len(mock_event_bus.events_of(TagCreated)) == 1
    mock_event_bus.assert_event_published(TagUsed, name="new", article_id=article.pk)
    mock_event_bus.assert_event_published(TagUsed, name="old", article_id=article.pk)
    assert kinds(mock_event_bus) == ["TagCreated", "ArticleCreated", "TagUsed", "TagUsed"]


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

    assert mock_event_bus.published == [
        ArticleUpdated(
            event_id=mock_event_bus.published[0].event_id,
            occurred_at=mock_event_bus.published[0].occurred_at,
            article_id=article.pk,
            author_id=alice.pk,
            slug="wyverns",
            old_slug="dragons",
            changed_fields=("title", "slug", "body"),
        )
    ]


@pytest.mark.django_db
def test_an_edit_that_keeps_the_slug_publishes_no_old_slug(alice, client_for, mock_event_bus):
    article = ArticleFactory(author=alice, title="Dragons")

    client_for(alice).put(
        "/api/articles/dragons", {"article": {"description": "new"}}, format="json"
    )

    mock_event_bus.assert_event_published(
        ArticleUpdated,
        article_id=article.pk,
        author_id=alice.pk,
        slug="dragons",
        old_slug=None,
        changed_fields=("description",),
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

    mock_event_bus.assert_event_published(
        ArticleUpdated, article_id=article.pk, changed_fields=("tag_list",), old_slug=None
    )
    mock_event_bus.assert_event_published(TagCreated, name="add")
    mock_event_bus.assert_event_published(TagUsed, name="add", article_id=article.pk)
    mock_event_bus.assert_event_published(TagRemoved, name="drop", article_id=article.pk)
    assert len(mock_event_bus.events_of(TagUsed)) == 1
    assert len(mock_event_bus.events_of(TagRemoved)) == 1


@pytest.mark.django_db
def test_clearing_the_tag_list_publishes_tag_removed_for_each(alice, client_for, mock_event_bus):
    article = ArticleFactory(author=alice, tag_list=["a", "b"])

    client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"tagList": []}}, format="json"
    )

    assert [event.name for event in mock_event_bus.events_of(TagRemoved)] == ["a", "b"]
    assert {event.article_id for event in mock_event_bus.events_of(TagRemoved)} == {article.pk}


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

    mock_event_bus.assert_event_published(
        ArticleDeleted, article_id=article.pk, author_id=alice.pk, slug="dragons", title="Dragons"
    )
    mock_event_bus.assert_event_published(TagRemoved, name="a", article_id=article.pk)


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

    mock_event_bus.assert_event_published(
        ArticleFavorited, article_id=article.pk, user_id=bob.pk, favorites_count=2
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

    mock_event_bus.assert_event_published(
        ArticleUnfavorited, article_id=article.pk, user_id=bob.pk, favorites_count=0
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
