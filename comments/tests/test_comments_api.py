"""GET/POST /api/articles/<slug>/comments and DELETE /api/articles/<slug>/comments/<id>."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.tests.factories import ArticleFactory
from comments.models import Comment
from comments.tests.factories import CommentFactory
from users.tests.factories import FollowFactory

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def url(article, comment_id=None) -> str:
    base = f"/api/articles/{article.slug}/comments"
    return base if comment_id is None else f"{base}/{comment_id}"


@pytest.mark.django_db
def test_bob_comments_on_alices_article(alice, bob, client_for):
    article = ArticleFactory(author=alice)

    response = client_for(bob).post(
        url(article), {"comment": {"body": "Thank you so much!"}}, format="json"
    )

    assert response.status_code == 201
    comment = response.json()["comment"]
    assert list(comment) == ["id", "createdAt", "updatedAt", "body", "author"]
    assert isinstance(comment["id"], int)
    assert comment["body"] == "Thank you so much!"
    assert TIMESTAMP.match(comment["createdAt"])
    assert TIMESTAMP.match(comment["updatedAt"])
    assert comment["author"] == {"username": "bob", "bio": None, "image": None, "following": False}
    assert Comment.objects.get().article == article


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "  "}, {"body": None}])
def test_a_comment_needs_a_body(alice, client_for, body):
    article = ArticleFactory()

    response = client_for(alice).post(url(article), {"comment": body}, format="json")

    assert response.status_code == 422
    assert response.json() == {"errors": {"body": ["can't be blank"]}}
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_a_comment_body_that_is_not_a_string_is_422(alice, client_for):
    response = client_for(alice).post(
        url(ArticleFactory()), {"comment": {"body": 7}}, format="json"
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.django_db
def test_a_comment_not_wrapped_in_comment_is_422(alice, client_for):
    response = client_for(alice).post(url(ArticleFactory()), {"body": "hi"}, format="json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.django_db
def test_anonymous_cannot_comment(api_client):
    response = api_client.post(url(ArticleFactory()), {"comment": {"body": "hi"}}, format="json")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}


@pytest.mark.django_db
def test_commenting_on_an_unknown_article_is_404(alice, client_for):
    response = client_for(alice).post(
        "/api/articles/nope/comments", {"comment": {"body": "hi"}}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"errors": {"article": ["not found"]}}


@pytest.mark.django_db
def test_the_comments_of_an_article_are_listed_newest_first(api_client):
    article = ArticleFactory()
    now = timezone.now()
    old = CommentFactory(article=article, created_at=now - timedelta(hours=2))
    new = CommentFactory(article=article, created_at=now)
    middle = CommentFactory(article=article, created_at=now - timedelta(hours=1))
    CommentFactory()  # on another article

    response = api_client.get(url(article))

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["comments"]] == [new.pk, middle.pk, old.pk]


@pytest.mark.django_db
def test_an_article_without_comments_lists_none(api_client):
    assert api_client.get(url(ArticleFactory())).json() == {"comments": []}


@pytest.mark.django_db
def test_listing_comments_of_an_unknown_article_is_404(api_client):
    response = api_client.get("/api/articles/nope/comments")

    assert response.status_code == 404
    assert response.json() == {"errors": {"article": ["not found"]}}


@pytest.mark.django_db
def test_comment_authors_show_whether_the_viewer_follows_them(alice, bob, charlie, client_for):
    article = ArticleFactory()
    CommentFactory(article=article, author=bob)
    FollowFactory(follower=alice, followed=bob)

    as_alice = client_for(alice).get(url(article)).json()["comments"][0]["author"]
    as_charlie = client_for(charlie).get(url(article)).json()["comments"][0]["author"]

    assert as_alice["following"] is True
    assert as_charlie["following"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 50])
def test_the_comment_list_costs_three_queries_at_any_size(
    alice, bob, client_for, django_assert_num_queries, count
):
    article = ArticleFactory()
    FollowFactory(follower=alice, followed=bob)
    CommentFactory.create_batch(count, article=article, author=bob)
    client = client_for(alice)

    # user (auth), comments with their authors, which of them the viewer follows
    with django_assert_num_queries(3):
        response = client.get(url(article))

    assert len(response.json()["comments"]) == count
    assert response.json()["comments"][0]["author"]["following"] is True


@pytest.mark.django_db
def test_an_article_without_comments_lists_none_and_an_unknown_one_is_404(api_client):
    article = ArticleFactory()

    assert api_client.get(url(article)).json() == {"comments": []}
    unknown = api_client.get("/api/articles/no-such-article/comments")
    assert unknown.status_code == 404
    assert unknown.json() == {"errors": {"article": ["not found"]}}


@pytest.mark.django_db
def test_bob_deletes_his_comment_and_the_others_stay(alice, bob, client_for):
    article = ArticleFactory(author=alice)
    mine = CommentFactory(article=article, author=bob)
    other = CommentFactory(article=article, author=alice)

    response = client_for(bob).delete(url(article, mine.pk))

    assert response.status_code == 204
    assert response.content == b""
    assert list(Comment.objects.all()) == [other]


@pytest.mark.django_db
def test_bob_cannot_delete_alices_comment(alice, bob, client_for):
    article = ArticleFactory(author=bob)
    comment = CommentFactory(article=article, author=alice)

    response = client_for(bob).delete(url(article, comment.pk))

    assert response.status_code == 403
    assert response.json() == {"errors": {"comment": ["forbidden"]}}
    assert Comment.objects.filter(pk=comment.pk).exists()


@pytest.mark.django_db
def test_a_comment_id_of_another_article_is_404(alice, client_for):
    article = ArticleFactory()
    elsewhere = CommentFactory(author=alice)

    response = client_for(alice).delete(url(article, elsewhere.pk))

    assert response.status_code == 404
    assert response.json() == {"errors": {"comment": ["not found"]}}
    assert Comment.objects.filter(pk=elsewhere.pk).exists()


@pytest.mark.django_db
def test_an_unknown_comment_id_is_404(alice, client_for):
    response = client_for(alice).delete(url(ArticleFactory(), 999999))

    assert response.status_code == 404
    assert response.json() == {"errors": {"comment": ["not found"]}}


@pytest.mark.django_db
def test_deleting_a_comment_of_an_unknown_article_is_404(alice, client_for):
    response = client_for(alice).delete("/api/articles/nope/comments/1")

    assert response.status_code == 404
    assert response.json() == {"errors": {"article": ["not found"]}}


@pytest.mark.django_db
def test_anonymous_cannot_delete_a_comment_even_an_unknown_one(api_client):
    assert api_client.delete("/api/articles/nope/comments/1").status_code == 401
