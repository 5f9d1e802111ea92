"""Every response under /api/ is JSON in the RealWorld errors shape (or empty where HTTP wants
no body), whatever the method, the path or the body: never an HTML page, never a 5xx.

(/api/schema and /api/docs are the API's description, YAML and a Swagger UI page by design;
they are not walked here.)"""

import json

import pytest
from django.test import Client

from articles.tests.factories import ArticleFactory
from comments.tests.factories import CommentFactory
from conduit.api import MAX_OFFSET
from conduit.auth import issue_token

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
KNOWN_PATHS = [
    "/api/users",
    "/api/users/login",
    "/api/user",
    "/api/profiles/alice",
    "/api/profiles/alice/follow",
    "/api/articles",
    "/api/articles/feed",
    "/api/articles/dragons",
    "/api/articles/dragons/favorite",
    "/api/articles/dragons/comments",
    "/api/articles/dragons/comments/{comment}",
    "/api/articles/dragons/flag",
    "/api/articles/dragons/comments/{comment}/flag",
    "/api/tags",
]
UNKNOWN_PATHS = [
    "/api",
    "/api/",
    "/api/nothing",
    "/api/articles/",
    "/api/articles/dragons/comments/abc",
    "/api/articles/dragons/comments/-1",
    "/api/articles/dragons/comments/99999999999999999999999999",
    "/api/articles/dragons/comments/{comment}/x",
    "/api/articles/feed/x",
    "/api/users/login/x",
    "/api/profiles/",
    "/api/tags/",
    "/api/caf%C3%A9",
    "/api/%FF%FE/%C3",
    "/api/%ZZ",
    "/api/articles/a%00b",
    "/api/articles/a%00b/comments",
    "/api/profiles/a%00b",
    "/api/profiles/a%00b/follow",
    "/api/articles/%F0%9F%90%89",
    "/api/profiles/%E2%80%AE",
    "/api/" + "a" * 5000,
]
MALFORMED_QUERIES = [
    "/api/articles?limit=abc",
    "/api/articles?limit=0",
    "/api/articles?limit=" + "9" * 5000,
    "/api/articles?offset=-1",
    "/api/articles?offset=1e9999",
    "/api/articles?offset=99999999999999999999999",
    "/api/articles/feed?offset=99999999999999999999999",
    "/api/articles?tag=a%00b",
    "/api/articles?author=%00",
    "/api/articles?favorited=%00&tag=x",
    "/api/articles?%00=x",
    "/api/articles?tag=%FF%FE",
    "/api/articles?tag=" + "x" * 5000,
    "/api/articles?format=xml",
    "/api/tags?offset=99999999999999999999999",
]
BODIES = [
    ("application/json", b""),
    ("application/json", b"{"),
    ("application/json", b"null"),
    ("application/json", b"[]"),
    ("application/json", b'"article"'),
    ("application/json", b"42"),
    ("application/json", b'{"article": []}'),
    ("application/json", b'{"user": {"email": 1e99999, "password": NaN}}'),
    ("application/json", b"\xff\xfe\x00"),
    ("application/json", b"[" * 100_000 + b"]" * 100_000),
    ("application/json; charset=latin-1", b'{"user": {"email": "\xe9"}}'),
    ("text/plain", b'{"article": {"title": "t"}}'),
    ("application/x-www-form-urlencoded", b"user=alice&" * 2000),
    ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
    ("application/xml", b"<article/>"),
]
OVERSIZED = ("application/json", b'{"article": {"body": "' + b"x" * 3_000_000 + b'"}}')


@pytest.fixture
def world(alice):
    """alice's article `dragons` with a comment, and a client that enforces CSRF as a browser
    session would be held to it."""
    article = ArticleFactory(author=alice, title="Dragons", slug="dragons", tag_list=["x"])
    comment = CommentFactory(article=article, author=alice)
    return Client(enforce_csrf_checks=True), comment.pk


def problems(method: str, response) -> list[str]:
    """What is wrong with a response under /api/; empty when nothing is."""
    found = []
    status = response.status_code
    content = response.content
    if status >= 500:
        found.append(f"status {status}")
    if b"<html" in content.lower() or b"<!doctype" in content.lower():
        found.append("an HTML page")
    if not content and (method in ("HEAD", "OPTIONS") or status in (204, 304)):
        return found
    content_type = response.get("Content-Type", "")
    if not content_type.startswith("application/json"):
        found.append(f"content type {content_type!r}")
        return found
    try:
        body = json.loads(content)
    except ValueError:
        return [*found, f"not JSON: {content[:80]!r}"]
    if status >= 400:
        errors = body.get("errors") if isinstance(body, dict) else None
        shaped = (
            isinstance(body, dict)
            and list(body) == ["errors"]
            and isinstance(errors, dict)
            and errors
            and all(
                isinstance(key, str)
                and isinstance(messages, list)
                and messages
                and all(isinstance(message, str) for message in messages)
                for key, messages in errors.items()
            )
        )
        if not shaped:
            found.append(f"not the errors shape: {body!r:.120}")
    return found


def send(client: Client, method: str, path: str, content_type: str = "", body: bytes = b"", **h):
    return client.generic(method, path, body, content_type=content_type, **h)


def walk(world, method: str, path: str, bodies, **headers) -> list[str]:
    client, comment_id = world
    path = path.replace("{comment}", str(comment_id))
    failures = []
    for content_type, body in bodies:
        response = send(client, method, path, content_type, body, **headers)
        for problem in problems(method, response):
            failures.append(f"{method} {path[:60]} [{content_type}] {body[:30]!r}: {problem}")
    return failures


@pytest.mark.django_db
@pytest.mark.parametrize("path", KNOWN_PATHS + UNKNOWN_PATHS)
@pytest.mark.parametrize("method", METHODS)
def test_any_method_on_any_path_with_any_body_answers_json(world, alice, method, path):
    token = {"HTTP_AUTHORIZATION": f"Token {issue_token(alice)}"}
    stale = {"HTTP_AUTHORIZATION": "Token not.a.token"}

    failures = [
        *walk(world, method, path, [("", b"")]),
        *walk(world, method, path, [("", b"")], **stale),
        *walk(world, method, path, BODIES, **token),
    ]

    assert failures == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", MALFORMED_QUERIES)
@pytest.mark.parametrize("method", METHODS)
def test_malformed_query_strings_answer_json(world, alice, method, path):
    token = {"HTTP_AUTHORIZATION": f"Token {issue_token(alice)}"}

    failures = [
        *walk(world, method, path, [("", b"")]),
        *walk(world, method, path, [("", b"")], **token),
    ]

    assert failures == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/articles", "/api/users", "/api/nothing", "/api/user"])
@pytest.mark.parametrize("method", METHODS)
def test_an_oversized_body_answers_json_whatever_the_method(world, alice, method, path):
    token = {"HTTP_AUTHORIZATION": f"Token {issue_token(alice)}"}

    assert walk(world, method, path, [OVERSIZED], **token) == []


# The exact answers behind the walk.


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/articles", "/api/users", "/api/nothing"])
def test_a_body_over_the_limit_is_413_is_too_large(client_for, alice, path):
    response = client_for(alice).generic(
        "POST", path, OVERSIZED[1], content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json() == {"errors": {"body": ["is too large"]}}


@pytest.mark.django_db
def test_the_limit_is_data_upload_max_memory_size_and_a_body_at_it_is_read(
    client_for, alice, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    envelope = b'{"article": {"title": "T", "description": "D", "body": "%s"}}'
    padding = 200 - len(envelope % b"")
    client = client_for(alice)

    at_limit = client.generic(
        "POST", "/api/articles", envelope % (b"x" * padding), content_type="application/json"
    )
    over = client.generic(
        "POST", "/api/articles", envelope % (b"x" * (padding + 1)), content_type="application/json"
    )

    assert at_limit.status_code == 201
    assert over.status_code == 413
    assert over.json() == {"errors": {"body": ["is too large"]}}


@pytest.mark.django_db
def test_a_browser_can_read_the_413(api_client):
    response = api_client.generic(
        "POST",
        "/api/users",
        OVERSIZED[1],
        content_type="application/json",
        HTTP_ORIGIN="http://localhost:4200",
    )

    assert response.status_code == 413
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_an_unmatched_path_is_a_json_404_for_unsafe_methods_too(method):
    # Django's CSRF check answered these with its HTML 403 page.
    client = Client(enforce_csrf_checks=True)

    response = client.generic(method, "/api/articles/x/comments/abc")

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["not found"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api", "/api/", "/api/nothing/at/all"])
def test_an_unmatched_path_is_a_json_404(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["not found"]}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/profiles/a%00b",
        "/api/articles/a%00b",
        "/api/articles/a%00b/comments",
        "/api/articles/%00/comments/1",
    ],
)
def test_a_nul_character_in_the_path_is_a_404(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"errors": {"body": ["not found"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["tag", "author", "favorited"])
def test_a_nul_character_in_a_filter_is_422(api_client, name):
    response = api_client.get(f"/api/articles?{name}=a%00b")

    assert response.status_code == 422
    assert response.json() == {"errors": {name: ["is invalid"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/articles", "/api/articles/feed"])
def test_an_offset_past_the_maximum_is_422(client_for, alice, path):
    response = client_for(alice).get(path, {"offset": str(10**20)})

    assert response.status_code == 422
    assert response.json() == {
        "errors": {"offset": [f"must be less than or equal to {MAX_OFFSET}"]}
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/articles", "/api/articles/feed"])
def test_the_maximum_offset_is_an_empty_page(client_for, alice, path):
    ArticleFactory(author=alice)

    response = client_for(alice).get(path, {"offset": str(MAX_OFFSET)})

    assert response.status_code == 200
    assert response.json()["articles"] == []


@pytest.mark.django_db
def test_json_nested_too_deeply_is_422(api_client):
    response = api_client.generic(
        "POST", "/api/users/login", b"[" * 100_000 + b"]" * 100_000, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json() == {"errors": {"body": ["must be a JSON object"]}}


@pytest.mark.django_db
def test_a_bad_request_outside_a_view_is_json(client, settings):
    # Django answers a Host it does not serve itself, with handler400.
    settings.ALLOWED_HOSTS = ["conduit.example"]

    response = client.get("/api/tags", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.json() == {"errors": {"body": ["bad request"]}}
