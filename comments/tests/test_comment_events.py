"""Comment writes publish exactly their events; failed requests publish none."""

import pytest

from articles.services import article_delete
from articles.tests.factories import ArticleFactory
from comments.events import ArticleCommentAdded, CommentDeleted
from comments.models import Comment
from comments.tests.factories import CommentFactory
from events.models import EventRecord
from events.testing import assert_same_events


@pytest.mark.django_db
def test_a_new_comment_publishes_article_comment_added(alice, bob, client_for, mock_event_bus):
    article = ArticleFactory(author=alice)

    client_for(bob).post(
        f"/api/articles/{article.slug}/comments", {"comment": {"body": "hi"}}, format="json"
    )

    comment = Comment.objects.get()
    mock_event_bus.assert_published_exactly(
        [ArticleCommentAdded(comment_id=comment.pk, article_id=article.pk, author_id=bob.pk)]
    )


@pytest.mark.django_db
def test_article_comment_added_lands_in_the_audit_trail_after_commit(
    alice, bob, client_for, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=alice)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(bob).post(
            f"/api/articles/{article.slug}/comments", {"comment": {"body": "hi"}}, format="json"
        )

    # Beside it, bob's first comment is a milestone (analytics).
    record = EventRecord.objects.exclude(type="events.UserEngagementMilestone").get()
    comment = Comment.objects.get()
    assert record.type == "comments.ArticleCommentAdded"
    assert record.payload == {
        "comment_id": comment.pk,
        "article_id": article.pk,
        "author_id": bob.pk,
    }
    assert (record.aggregate_type, record.aggregate_id) == ("comment", str(comment.pk))


@pytest.mark.django_db
def test_an_invalid_or_anonymous_comment_publishes_nothing(
    alice, api_client, client_for, mock_event_bus
):
    path = f"/api/articles/{ArticleFactory().slug}/comments"

    assert client_for(alice).post(path, {"comment": {"body": ""}}, format="json").status_code == 422
    assert api_client.post(path, {"comment": {"body": "hi"}}, format="json").status_code == 401
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_deleting_a_comment_publishes_comment_deleted(alice, bob, client_for, mock_event_bus):
    article = ArticleFactory(author=alice)
    comment = CommentFactory(article=article, author=bob)

    client_for(bob).delete(f"/api/articles/{article.slug}/comments/{comment.pk}")

    mock_event_bus.assert_published_exactly(
        [CommentDeleted(comment_id=comment.pk, article_id=article.pk, author_id=bob.pk)]
    )


@pytest.mark.django_db
def test_a_forbidden_or_misplaced_comment_delete_publishes_nothing(
    alice, bob, client_for, mock_event_bus
):
    article = ArticleFactory(author=alice)
    comment = CommentFactory(article=article, author=alice)
    elsewhere = CommentFactory(author=bob)

    forbidden = client_for(bob).delete(f"/api/articles/{article.slug}/comments/{comment.pk}")
    misplaced = client_for(bob).delete(f"/api/articles/{article.slug}/comments/{elsewhere.pk}")

    assert (forbidden.status_code, misplaced.status_code) == (403, 404)
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_deleting_an_article_publishes_comment_deleted_for_each_of_its_comments(
    alice, bob, charlie, client_for, mock_event_bus
):
    article = ArticleFactory(author=alice)
    first = CommentFactory(article=article, author=bob)
    second = CommentFactory(article=article, author=charlie)
    CommentFactory()  # another article's comment stays and is not announced

    response = client_for(alice).delete(f"/api/articles/{article.slug}")

    assert response.status_code == 204
    assert_same_events(
        mock_event_bus.events_of(CommentDeleted),
        [
            CommentDeleted(comment_id=first.pk, article_id=article.pk, author_id=bob.pk),
            CommentDeleted(comment_id=second.pk, article_id=article.pk, author_id=charlie.pk),
        ],
    )
    assert Comment.objects.count() == 1


@pytest.mark.django_db
def test_cascaded_comment_deletions_are_in_the_articles_transaction(
    alice, bob, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=alice)
    comment = CommentFactory(article=article, author=bob)
    article_id = article.pk

    with django_capture_on_commit_callbacks(execute=True):
        article_delete(article=article, user=alice)

    record = EventRecord.objects.get(type="comments.CommentDeleted")
    assert record.payload == {
        "comment_id": comment.pk,
        "article_id": article_id,
        "author_id": bob.pk,
    }
    assert EventRecord.objects.filter(type="articles.ArticleDeleted").count() == 1


@pytest.mark.django_db
def test_deleting_the_author_announces_the_comments_of_their_articles(alice, bob, mock_event_bus):
    article = ArticleFactory(author=alice)
    comment = CommentFactory(article=article, author=bob)

    alice.delete()

    assert_same_events(
        mock_event_bus.events_of(CommentDeleted),
        [CommentDeleted(comment_id=comment.pk, article_id=article.pk, author_id=bob.pk)],
    )
