"""JWT tokens: `Authorization: Token <jwt>` (RealWorld) or `Bearer <jwt>`."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from conduit.readcache import read_through
from events.core.context import bind_actor

_SCHEMES = (b"token", b"bearer")
logger = logging.getLogger(__name__)


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


def _requires_authentication(request: Request) -> bool:
    """Whether the view answering `request` admits only authenticated callers (declares
    IsAuthenticated); True when there is no DRF view to ask."""
    view = (request.parser_context or {}).get("view")
    if view is None:
        return True
    return any(isinstance(permission, IsAuthenticated) for permission in view.get_permissions())


class JWTAuthentication(BaseAuthentication):
    """A token that is not valid (malformed, expired, tampered, or naming an account that is
    deactivated or gone) answers 401 `token` `is invalid` where the view requires
    authentication. Where authentication is optional it counts as no token, so that a browser
    still holding a stale token sees the public pages instead of an error."""

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        try:
            return self._authenticate(request)
        except AuthenticationFailed:
            if _requires_authentication(request):
                raise
            logger.debug(
                "Invalid token ignored on %s %s: authentication is optional there",
                request.method,
                request.path,
            )
            return None

    def _authenticate(self, request: Request) -> tuple[Any, str] | None:
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
