"""Anonymous reads come from memory until a business change publishes an event."""

import pytest
from django.core.cache import caches

from articles.models import Article
from articles.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def read_cache(settings):
    settings.READ_CACHE_SECONDS = 60
    yield
    caches["reads"].clear()


def test_an_anonymous_read_is_served_from_the_cache_until_a_business_change(
    api_client, client_for, alice, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=alice, title="Before")
    path = f"/api/articles/{article.slug}"
    assert api_client.get(path).json()["article"]["title"] == "Before"

    Article.objects.filter(pk=article.pk).update(title="Changed behind the services' back")
    assert api_client.get(path).json()["article"]["title"] == "Before", "served from the cache"

    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).put(path, {"article": {"title": "After"}}, format="json")
    assert api_client.get(path).status_code == 404, "the old slug's cached page is gone"
    fresh = api_client.get(f"/api/articles/{article.slug.replace('before', 'after')}")
    assert fresh.json()["article"]["title"] == "After"
    assert api_client.get("/api/articles").json()["articles"][0]["title"] == "After"


def test_requests_with_credentials_are_never_cached(api_client, client_for, alice):
    article = ArticleFactory(author=alice, title="Before")
    path = f"/api/articles/{article.slug}"
    client_for(alice).get(path)

    Article.objects.filter(pk=article.pk).update(title="Changed")

    assert client_for(alice).get(path).json()["article"]["title"] == "Changed"


def test_errors_are_not_cached(api_client, alice):
    assert api_client.get("/api/articles/later").status_code == 404

    ArticleFactory(author=alice, title="Later")

    assert api_client.get("/api/articles/later").status_code == 200


def test_the_cached_response_still_carries_its_own_request_id(api_client):
    api_client.get("/api/tags", HTTP_X_REQUEST_ID="first")

    response = api_client.get("/api/tags", HTTP_X_REQUEST_ID="second")

    assert response["X-Request-ID"] == "second"
    assert response["Content-Type"] == "application/json"


def test_responses_marked_no_store_are_not_cached(api_client, settings):
    from django.http import JsonResponse
    from django.test import RequestFactory

    from conduit.readcache import AnonymousReadCacheMiddleware

    served = []

    def view(request):
        served.append(request.path)
        return JsonResponse({}, headers={"Cache-Control": "no-store"})

    middleware = AnonymousReadCacheMiddleware(view)
    middleware(RequestFactory().get("/api/_bench/floor"))
    middleware(RequestFactory().get("/api/_bench/floor"))

    assert len(served) == 2
