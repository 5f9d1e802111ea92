"""POST/DELETE /api/articles/<slug>/favorite."""

import pytest

from articles.models import Article, Favorite
from articles.tests.factories import ArticleFactory, FavoriteFactory


def favorite(client, article):
    return client.post(f"/api/articles/{article.slug}/favorite")


def unfavorite(client, article):
    return client.delete(f"/api/articles/{article.slug}/favorite")


@pytest.mark.django_db
def test_bob_favorites_alices_article_and_gets_it_back(alice, bob, client_for):
    article = ArticleFactory(author=alice)

    response = favorite(client_for(bob), article)

    assert response.status_code == 200
    data = response.json()["article"]
    assert data["slug"] == article.slug
    assert data["favorited"] is True
    assert data["favoritesCount"] == 1
    assert "body" in data


@pytest.mark.django_db
def test_favoriting_twice_counts_once(alice, bob, client_for):
    article = ArticleFactory(author=alice)
    client = client_for(bob)

    favorite(client, article)
    response = favorite(client, article)

    assert response.status_code == 200
    assert response.json()["article"]["favoritesCount"] == 1
    assert Favorite.objects.count() == 1
    assert Article.objects.get(pk=article.pk).favorites_count == 1


@pytest.mark.django_db
def test_favorites_count_counts_every_user(alice, bob, charlie, client_for):
    article = ArticleFactory(author=alice)

    favorite(client_for(alice), article)
    favorite(client_for(bob), article)
    response = favorite(client_for(charlie), article)

    assert response.json()["article"]["favoritesCount"] == 3


@pytest.mark.django_db
def test_bob_unfavorites_and_the_count_drops(alice, bob, charlie, client_for):
    article = ArticleFactory(author=alice)
    FavoriteFactory(user=bob, article=article)
    FavoriteFactory(user=charlie, article=article)

    response = unfavorite(client_for(bob), article)

    assert response.status_code == 200
    data = response.json()["article"]
    assert (data["favorited"], data["favoritesCount"]) == (False, 1)


@pytest.mark.django_db
def test_unfavoriting_twice_or_without_a_favorite_changes_nothing(alice, bob, client_for):
    article = ArticleFactory(author=alice)
    FavoriteFactory(user=alice, article=article)
    client = client_for(bob)

    first = unfavorite(client, article)
    second = unfavorite(client, article)

    assert first.status_code == second.status_code == 200
    assert second.json()["article"]["favoritesCount"] == 1
    assert Article.objects.get(pk=article.pk).favorites_count == 1


@pytest.mark.django_db
def test_anonymous_favorite_of_an_unknown_article_is_401_before_404(api_client):
    for method in (api_client.post, api_client.delete):
        response = method("/api/articles/unknown/favorite")
        assert response.status_code == 401
        assert response.json() == {"errors": {"token": ["is missing"]}}


@pytest.mark.django_db
def test_favoriting_an_unknown_article_is_404(alice, client_for):
    for method in (client_for(alice).post, client_for(alice).delete):
        response = method("/api/articles/unknown/favorite")
        assert response.status_code == 404
        assert response.json() == {"errors": {"article": ["not found"]}}


@pytest.mark.django_db
def test_the_list_shows_the_exact_count_after_favorites_come_and_go(
    alice, bob, charlie, client_for, api_client
):
    article = ArticleFactory(author=alice)
    favorite(client_for(bob), article)
    favorite(client_for(charlie), article)
    unfavorite(client_for(bob), article)
    favorite(client_for(charlie), article)

    item = api_client.get("/api/articles").json()["articles"][0]

    assert item["favoritesCount"] == 1
