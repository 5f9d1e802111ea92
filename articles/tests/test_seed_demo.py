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

    assert User.objects.count() == 4
    assert Article.objects.count() == 5
    assert Follow.objects.count() == 4
    assert Comment.objects.count() == 4
    assert Favorite.objects.count() == 6
    first = Article.objects.get(slug="why-we-keep-the-audit-trail-in-the-database")
    assert first.favorites_count == 3
    assert len(mock_event_bus.events_of(ArticleCreated)) == 5
    assert "http://127.0.0.1:8000/api" in output
    assert "alice@example.com" in output


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

    assert Article.objects.count() == 5


@pytest.mark.django_db
def test_seed_demo_twice_is_refused(alice):
    with pytest.raises(CommandError):
        seed()
