"""The admin deletes through the services, so events still fire."""

import pytest
from django.test import Client

from articles.counters import counters_snapshot
from articles.events import ArticleDeleted
from articles.models import Article, Favorite
from articles.services import article_create, article_favorite
from articles.tests.factories import ArticleFactory
from comments.events import CommentDeleted
from comments.models import Comment
from comments.tests.factories import CommentFactory
from events.ops.events import BulkOperationCompleted
from events.testing import assert_same_events
from tags.events import TagDeleted
from tags.models import Tag
from tags.tests.factories import TagFactory
from users.models import User


@pytest.fixture
def admin_client_for_staff(db) -> Client:
    admin = User.objects.create_superuser("root@example.com", "root", "pw")
    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_the_article_changelist_renders(admin_client_for_staff):
    ArticleFactory(tag_list=["a"])

    response = admin_client_for_staff.get("/admin/articles/article/")

    assert response.status_code == 200


@pytest.mark.django_db
def test_deleting_articles_in_the_admin_publishes_article_deleted(
    admin_client_for_staff, mock_event_bus, operation_clock
):
    article = ArticleFactory()
    CommentFactory(article=article)

    response = admin_client_for_staff.post(
        "/admin/articles/article/",
        {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Article.objects.exists()
    mock_event_bus.assert_event_published(ArticleDeleted, article_id=article.pk)
    assert len(mock_event_bus.events_of(CommentDeleted)) == 1
    assert_same_events(
        mock_event_bus.events_of(BulkOperationCompleted),
        [
            BulkOperationCompleted(
                kind="articles.delete",
                count=1,
                succeeded=1,
                skipped=0,
                details="",
                events_published={"articles.ArticleDeleted": 1, "comments.CommentDeleted": 1},
                duration_ms=0,
            )
        ],
    )


@pytest.mark.django_db
def test_deleting_comments_in_the_admin_publishes_comment_deleted(
    admin_client_for_staff, mock_event_bus, operation_clock
):
    comment = CommentFactory()
    other = CommentFactory()

    response = admin_client_for_staff.post(
        "/admin/comments/comment/",
        {"action": "delete_selected", "_selected_action": [comment.pk, other.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Comment.objects.exists()
    assert_same_events(
        mock_event_bus.published,
        [
            CommentDeleted(
                comment_id=comment.pk, article_id=comment.article_id, author_id=comment.author_id
            ),
            CommentDeleted(
                comment_id=other.pk, article_id=other.article_id, author_id=other.author_id
            ),
            BulkOperationCompleted(
                kind="comments.delete",
                count=2,
                succeeded=2,
                skipped=0,
                details="",
                events_published={"comments.CommentDeleted": 2},
                duration_ms=0,
            ),
        ],
    )


@pytest.mark.django_db
def test_the_article_delete_button_publishes_article_deleted(
    admin_client_for_staff, mock_event_bus
):
    article = ArticleFactory()

    response = admin_client_for_staff.post(
        f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    mock_event_bus.assert_event_published(ArticleDeleted, article_id=article.pk)


@pytest.mark.django_db
def test_deleting_unused_tags_from_the_admin(
    admin_client_for_staff, mock_event_bus, operation_clock
):
    ArticleFactory(tag_list=["used"])
    unused = TagFactory(name="unused")

    response = admin_client_for_staff.post(
        "/admin/tags/tag/", {"action": "delete_unused_tags", "_selected_action": [unused.pk]}
    )

    assert response.status_code == 302
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
@pytest.mark.parametrize("path", ["/admin/comments/comment/", "/admin/tags/tag/"])
def test_the_other_changelists_render(admin_client_for_staff, path):
    CommentFactory(article=ArticleFactory(tag_list=["a"]))

    assert admin_client_for_staff.get(path).status_code == 200


@pytest.mark.django_db
def test_moderators_read_and_delete_articles_and_comments_but_do_not_write_them(
    admin_client_for_staff,
):
    comment = CommentFactory(body="Original words")
    article = comment.article

    assert admin_client_for_staff.get("/admin/articles/article/add/").status_code == 403
    admin_client_for_staff.post(
        f"/admin/articles/article/{article.pk}/change/",
        {
            "title": "Rewritten by a moderator",
            "description": "d",
            "body": "b",
            "article_tags-TOTAL_FORMS": "0",
            "article_tags-INITIAL_FORMS": "0",
        },
    )
    admin_client_for_staff.post(
        f"/admin/comments/comment/{comment.pk}/change/", {"body": "Rewritten by a moderator"}
    )

    assert Article.objects.get(pk=article.pk).title == article.title
    assert Comment.objects.get(pk=comment.pk).body == "Original words"


@pytest.mark.django_db
def test_an_article_with_favorites_can_be_deleted_in_the_admin_and_counts_stay_exact(
    admin_client_for_staff, alice, bob, mock_event_bus
):
    article = article_create(author=alice, title="Loved", description="d", body="b")
    article_favorite(article=article, user=bob)

    response = admin_client_for_staff.post(
        f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Article.objects.exists() and not Favorite.objects.exists()
    mock_event_bus.assert_event_published(ArticleDeleted, article_id=article.pk)
    assert counters_snapshot() == {"total": 0}
