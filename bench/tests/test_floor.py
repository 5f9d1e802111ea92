"""The benchmark's floor: a constant list page, routed only when BENCH_FLOOR_ENABLED is on."""

import importlib
import json

import pytest
from django.test import Client
from django.urls import clear_url_caches


@pytest.fixture
def floor_routes(settings):
    """Reloads the URLconf under a given BENCH_FLOOR_ENABLED, and restores it afterwards."""

    def load(enabled: bool) -> None:
        settings.BENCH_FLOOR_ENABLED = enabled
        importlib.reload(importlib.import_module("conduit.urls"))
        clear_url_caches()

    yield load
    settings.BENCH_FLOOR_ENABLED = False
    load(False)


@pytest.mark.django_db
def test_the_floor_answers_a_constant_list_page_when_enabled(
    floor_routes, django_assert_num_queries
):
    floor_routes(True)
    with django_assert_num_queries(0):
        response = Client().get("/api/_bench/floor")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    page = json.loads(response.content)
    assert len(page["articles"]) == 20
    assert page["articlesCount"] == 2000
    assert set(page["articles"][0]) == {
        "slug", "title", "description", "tagList", "createdAt", "updatedAt", "favorited",
        "favoritesCount", "author",
    }  # fmt: skip
    assert json.loads(Client().get("/api/_bench/floor?render=1").content) == page


@pytest.mark.django_db
def test_the_floor_is_not_routed_when_disabled(floor_routes):
    floor_routes(False)
    assert Client().get("/api/_bench/floor").status_code == 404
