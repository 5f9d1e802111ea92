"""Where authentication is optional, a token that is not valid counts as no token (a browser
holding a stale token still sees the public pages); where it is required, it is a 401."""

import logging
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.conf import settings

from articles.models import Article
from articles.tests.factories import ArticleFactory, FavoriteFactory
from comments.tests.factories import CommentFactory
from conduit.auth import issue_token
from users.tests.factories import DEFAULT_PASSWORD, FollowFactory, UserFactory

OPTIONAL = [
    ("get", "/api/articles"),
    ("get", "/api/articles?tag=dragons"),
    ("get", "/api/articles?author=alice"),
    ("get", "/api/articles?favorited=bob"),
    ("get", "/api/articles/dragons"),
    ("get", "/api/articles/dragons/comments"),
    ("get", "/api/profiles/alice"),
    ("get", "/api/tags"),
]
REQUIRED = [
    ("get", "/api/user"),
    ("put", "/api/user"),
    ("get", "/api/articles/feed"),
    ("post", "/api/articles"),
    ("put", "/api/articles/dragons"),
    ("delete", "/api/articles/dragons"),
    ("post", "/api/articles/dragons/favorite"),
    ("delete", "/api/articles/dragons/favorite"),
    ("post", "/api/articles/dragons/comments"),
    ("delete", "/api/articles/dragons/comments/{comment}"),
    ("post", "/api/profiles/alice/follow"),
    ("delete", "/api/profiles/alice/follow"),
]
INVALID = {"errors": {"token": ["is invalid"]}}


def _signed(claims: dict, secret: str | None = None) -> str:
    return jwt.encode(claims, secret or settings.JWT_SECRET, algorithm=settings.JWT_ALGORITHM)


def _expired(user) -> str:
    past = datetime.now(UTC) - timedelta(days=2)
    return _signed({"sub": str(user.pk), "iat": past, "exp": past + timedelta(days=1)})


def _deactivated() -> str:
    user = UserFactory(username="gone-quiet")
    token = issue_token(user)
    user.is_active = False
    user.save()
    return token


def _deleted() -> str:
    user = UserFactory(username="gone")
    token = issue_token(user)
    user.delete()
    return token


# Each makes the Authorization header of a token that is not valid.
BAD_TOKENS = {
    "garbage": lambda bob: "Token garbage",
    "expired": lambda bob: f"Token {_expired(bob)}",
    "tampered": lambda bob: f"Token {issue_token(bob)[:-2]}xx",
    "another secret": lambda bob: (
        "Token "
        + _signed(
            {"sub": str(bob.pk), "exp": datetime.now(UTC) + timedelta(hours=1)},
            "someone else's secret, long enough for HS256 key checks",
        )
    ),
    "no sub": lambda bob: "Token " + _signed({"exp": datetime.now(UTC) + timedelta(hours=1)}),
    "deactivated user": lambda bob: f"Token {_deactivated()}",
    "deleted user": lambda bob: f"Token {_deleted()}",
    "scheme only": lambda bob: "Token",
    "three parts": lambda bob: f"Token {issue_token(bob)} extra",
    "unknown scheme": lambda bob: f"Basic {issue_token(bob)}",
}


@pytest.fixture
def world(alice, bob):
    """alice wrote `dragons` (tagged, favorited by bob) and commented on it; bob follows
    alice, so a response for bob differs from the anonymous one."""
    article = ArticleFactory(author=alice, title="Dragons", slug="dragons", tag_list=["dragons"])
    FavoriteFactory(user=bob, article=article)
    FollowFactory(follower=bob, followed=alice)
    comment = CommentFactory(article=article, author=alice)
    return {"comment": comment.pk}


def _call(client, method: str, path: str, world: dict, **headers):
    return getattr(client, method)(path.format(**world), {}, format="json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", BAD_TOKENS)
@pytest.mark.parametrize(("method", "path"), OPTIONAL)
def test_an_invalid_token_gets_the_anonymous_response_where_auth_is_optional(
    api_client, bob, world, method, path, kind
):
    anonymous = _call(api_client, method, path, world)

    response = _call(api_client, method, path, world, HTTP_AUTHORIZATION=BAD_TOKENS[kind](bob))

    assert anonymous.status_code == 200
    assert response.status_code == 200
    assert response.json() == anonymous.json()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", BAD_TOKENS)
@pytest.mark.parametrize(("method", "path"), REQUIRED)
def test_an_invalid_token_is_401_where_auth_is_required(api_client, bob, world, method, path, kind):
    response = _call(api_client, method, path, world, HTTP_AUTHORIZATION=BAD_TOKENS[kind](bob))

    assert response.status_code == 401
    assert response.json() == INVALID
    assert Article.objects.filter(slug="dragons").exists()


@pytest.mark.django_db
# Tags are the same for everyone; every other optional-auth response shows bob's view.
@pytest.mark.parametrize(("method", "path"), [case for case in OPTIONAL if case[1] != "/api/tags"])
def test_a_valid_token_still_personalises_where_auth_is_optional(
    api_client, client_for, bob, world, method, path
):
    anonymous = _call(api_client, method, path, world)

    response = _call(client_for(bob), method, path, world)

    assert response.status_code == 200
    assert response.json() != anonymous.json()  # bob's `following` / `favorited` are true


@pytest.mark.django_db
def test_the_ignored_token_is_logged_at_debug_level(api_client, caplog):
    with caplog.at_level(logging.DEBUG, logger="conduit.auth"):
        response = api_client.get("/api/tags", HTTP_AUTHORIZATION="Token garbage")

    assert response.status_code == 200
    auth_records = [record for record in caplog.records if record.name == "conduit.auth"]
    assert [(record.levelno, record.getMessage()) for record in auth_records] == [
        (
            logging.DEBUG,
            "Invalid token ignored on GET /api/tags: authentication is optional there",
        )
    ]


@pytest.mark.django_db
def test_a_stale_token_does_not_stop_a_login_or_a_registration(api_client, alice, bob):
    # A browser sends its stored token with every request, the login form's included.
    stale = {"HTTP_AUTHORIZATION": f"Token {_expired(bob)}"}

    login = api_client.post(
        "/api/users/login",
        {"user": {"email": "alice@example.com", "password": DEFAULT_PASSWORD}},
        format="json",
        **stale,
    )
    register = api_client.post(
        "/api/users",
        {"user": {"username": "dana", "email": "dana@example.com", "password": "long enough"}},
        format="json",
        **stale,
    )

    assert login.status_code == 200
    assert login.json()["user"]["username"] == "alice"
    assert register.status_code == 201
    assert register.json()["user"]["username"] == "dana"
