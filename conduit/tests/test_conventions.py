"""API conventions shared by every app: JSON errors everywhere, methods, CORS."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_is_a_json_404(api_client):
    response = api_client.get("/api/nothing/here")

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["not found"]}}


def test_a_method_the_url_does_not_serve_is_a_json_405(api_client):
    response = api_client.patch("/api/articles", {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"errors": {"body": ["method not allowed"]}}
    assert set(response["Allow"].split(", ")) == {"GET", "POST", "HEAD", "OPTIONS"}


def test_head_is_answered_like_get(api_client):
    assert api_client.head("/api/articles").status_code == 200


def test_options_lists_every_method_of_the_url(api_client):
    response = api_client.options("/api/articles")

    assert response.status_code == 204
    assert set(response["Allow"].split(", ")) == {"GET", "POST", "HEAD", "OPTIONS"}


def test_a_view_of_one_method_refuses_others_with_the_same_json_405(api_client):
    response = api_client.delete("/api/tags")

    assert response.status_code == 405
    assert response.json() == {"errors": {"body": ["method not allowed"]}}


def test_a_body_that_is_not_json_at_all_is_a_422(api_client):
    response = api_client.post("/api/users", "user=alice", content_type="text/plain")

    assert response.status_code == 422
    assert response.json() == {"errors": {"body": ["must be a JSON object"]}}


def test_cors_preflight_allows_the_authorization_and_content_type_headers(api_client):
    response = api_client.options(
        "/api/articles",
        HTTP_ORIGIN="http://localhost:4200",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] in ("*", "http://localhost:4200")
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_every_response_carries_a_request_id(api_client):
    response = api_client.get("/api/tags", HTTP_X_REQUEST_ID="trace-me")

    assert response["X-Request-ID"] == "trace-me"


def test_a_body_that_is_not_json_is_a_422(api_client):
    response = api_client.post("/api/users", "not json", content_type="application/json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]
