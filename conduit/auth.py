"""JWT tokens: `Authorization: Token <jwt>` (RealWorld) or `Bearer <jwt>`."""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from conduit.readcache import read_through
from events.context import bind_actor

_SCHEMES = (b"token", b"bearer")


def issue_token(user: Any) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.pk),
        "iat": now,
        "exp": now + timedelta(seconds=settings.JWT_EXPIRY_SECONDS),
    }
    return jwt.encode(claims, settings.JWT_SECRET, algorithm=settings.JWT_ALGORITHM)


def user_id_from_token(token: str) -> int:
    """The user id a valid token names; raises AuthenticationFailed for anything else."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SECRET,
            algorithms=[settings.JWT_ALGORITHM],
            options={"require": ["sub", "exp"]},
        )
        return int(claims["sub"])
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise AuthenticationFailed("is invalid") from exc


class JWTAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        if parts[0].lower() not in _SCHEMES or len(parts) != 2:
            raise AuthenticationFailed("is invalid")
        token = parts[1].decode("latin-1")
        user_id = user_id_from_token(token)
        user = read_through(
            ("token-user", user_id),
            lambda: get_user_model().objects.filter(pk=user_id, is_active=True).first(),
        )
        if user is None:
            raise AuthenticationFailed("is invalid")
        bind_actor(user.pk)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        # A non-empty challenge makes DRF answer 401 (not 403) to missing credentials.
        return "Token"
