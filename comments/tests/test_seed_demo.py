"""manage.py seed_demo."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from articles.events import ArticleCreated
from articles.models import Article, Favorite
from comments.models import Comment
from users.models import Follow, User


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_creates_a_demo_data_set_through_the_services(mock_event_bus):
    output = seed()

    assert sorted(User.objects.values_list("username", flat=True)) == [
        "alice",
        "bob",
        "charlie",
        "dana",
        "johndoe",
    ]
    assert Article.objects.count() == 8
    assert Follow.objects.count() == 6
    assert Comment.objects.count() == 8
    assert Favorite.objects.count() == 9
    first = Article.objects.get(slug="why-we-keep-the-audit-trail-in-the-database")
    assert first.favorites_count == 4
    assert len(mock_event_bus.events_of(ArticleCreated)) == 8
    assert "alice@example.com" in output
    assert "johndoe" in output
    # It serves nothing, so it names no URL: `make run` prints the one it serves.
    assert "http://" not in output


@pytest.mark.django_db
def test_johndoe_of_the_public_demo_backend_has_articles_tags_and_comments(api_client):
    seed()

    profile = api_client.get("/api/profiles/johndoe").json()["profile"]
    articles = api_client.get("/api/articles?author=johndoe").json()
    comments = api_client.get("/api/articles/welcome-to-conduit/comments").json()["comments"]
    tags = api_client.get("/api/tags").json()["tags"]

    assert profile["username"] == "johndoe"
    assert profile["bio"]
    assert articles["articlesCount"] == 3
    assert [article["title"] for article in articles["articles"]] == [
        "Tags, feeds and favorites",
        "How to write a RealWorld frontend",
        "Welcome to Conduit",
    ]
    assert articles["articles"][2]["tagList"] == ["introduction", "realworld", "welcome"]
    assert articles["articles"][2]["favoritesCount"] == 2
    assert [comment["author"]["username"] for comment in comments] == ["johndoe", "alice"]
    assert {"realworld", "welcome", "introduction", "frontend"} <= set(tags)


@pytest.mark.django_db
def test_johndoe_logs_in_with_the_demo_password(api_client):
    password = seed().rsplit(" / ", 1)[1].strip()

    response = api_client.post(
        "/api/users/login",
        {"user": {"email": "johndoe@example.com", "password": password}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "johndoe"


@pytest.mark.django_db
def test_the_demo_login_works(api_client):
    output = seed()
    password = output.rsplit(" / ", 1)[1].strip()

    response = api_client.post(
        "/api/users/login",
        {"user": {"email": "alice@example.com", "password": password}},
        format="json",
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_seed_demo_if_empty_does_nothing_when_a_user_exists(charlie):
    output = seed("--if-empty")

    assert "nothing seeded" in output
    assert User.objects.count() == 1
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_seed_demo_if_empty_seeds_an_empty_database():
    seed("--if-empty")

    assert Article.objects.count() == 8
    assert User.objects.filter(username="johndoe").exists()


@pytest.mark.django_db
def test_seed_demo_twice_is_refused(alice):
    with pytest.raises(CommandError):
        seed()


@pytest.mark.django_db
def test_seed_demo_if_empty_after_a_seed_changes_nothing():
    seed()

    output = seed("--if-empty")

    assert "nothing seeded" in output
    assert User.objects.count() == 5
    assert Article.objects.count() == 8
    assert Comment.objects.count() == 8
