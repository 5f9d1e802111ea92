"""JWT tokens: `Authorization: Token <jwt>` (RealWorld) or `Bearer <jwt>`."""

import copy
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cachetools import LRUCache
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from conduit.readcache import read_through, scope_of
from events.core.context import bind_actor

_SCHEMES = (b"token", b"bearer")
logger = logging.getLogger(__name__)


def user_scope(user_id: int) -> str:
    """The read-cache scope of a user's own row: the user behind a token, remembered here, and
    their profile (users' selectors). Which events renew it: users/reads.py."""
    return scope_of("user", user_id)


def password_fingerprint(user: Any) -> str:
    """A value derived from the account's stored password hash (as Django's
    get_session_auth_hash is for sessions): every token carries it, so a new password, by
    whatever path it was saved (the API, the admin, `changepassword`, a shell's
    `set_password` + `save`), ends every token issued before it, without any caller having
    to remember to."""
    return salted_hmac(
        "conduit.auth.password_fingerprint",
        user.password,
        secret=settings.JWT_SECRET,
        algorithm="sha256",
    ).hexdigest()[:32]


def issue_token(user: Any) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.pk),
        "iat": now,
        "exp": now + timedelta(seconds=settings.JWT_EXPIRY_SECONDS),
        # The account's token version: a password change moves it on, ending older tokens.
        "ver": user.token_version,
        # The password it was issued under (password_fingerprint): any new password ends it.
        "pwh": password_fingerprint(user),
        # This token's own id: the one a password change is made through may outlive it.
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.JWT_SECRET, algorithm=settings.JWT_ALGORITHM)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid token says: whose it is, the token version it was issued at (0 for a
    token issued before versions existed), its own id ("" for one issued before ids) and
    the fingerprint of the password it was issued under ("" for one issued before those,
    which no account honours)."""

    user_id: int
    version: int
    token_id: str
    password: str = ""


# Tokens verified lately, with their expiry: a client sends the same token with every request,
# and checking its signature again took a quarter of a millisecond each time. Keyed by the
# token itself, signature included, and by the key it was checked with, so what is found here
# is exactly what was checked; only the time moves on, and the expiry is checked again.
# At most TOKEN_CACHE_ENTRIES, the latest used.
_verified: LRUCache[tuple[str, str, str], tuple[TokenClaims, float]] = LRUCache(
    maxsize=settings.TOKEN_CACHE_ENTRIES
)
_verified_lock = threading.Lock()


def token_claims(token: str) -> TokenClaims:
    """The claims of a valid token; raises AuthenticationFailed for anything else."""
    key = (token, settings.JWT_SECRET, settings.JWT_ALGORITHM)
    with _verified_lock:
        known = _verified.get(key)
    if known is not None and time.time() < known[1]:
        return known[0]
    claims = _verified_claims(token)
    with _verified_lock:
        _verified[key] = claims
    return claims[0]


def _verified_claims(token: str) -> tuple[TokenClaims, float]:
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SECRET,
            algorithms=[settings.JWT_ALGORITHM],
            options={"require": ["sub", "exp"]},
        )
        version, token_id = claims.get("ver", 0), claims.get("jti", "")
        password = claims.get("pwh", "")
        if type(version) is not int or not isinstance(token_id, str):
            raise ValueError("ver or jti of the wrong type")
        if not isinstance(password, str):
            raise ValueError("pwh of the wrong type")
        found = TokenClaims(
            user_id=int(claims["sub"]), version=version, token_id=token_id, password=password
        )
        return found, float(claims["exp"])
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise AuthenticationFailed("is invalid") from exc


def kept_token_id(token_id: str, user: Any) -> str:
    """What the account stores to keep honouring the token a password change came through
    (users.services.user_update): its id bound to the new password, so that any later
    password change, by any path, ends that token too."""
    return f"{token_id}:{password_fingerprint(user)}" if token_id else ""


def token_is_current(user: Any, claims: TokenClaims) -> bool:
    """Whether the account still honours the token: issued under its current password (and
    token version), or the very token its current password was set through."""
    fingerprint = password_fingerprint(user)
    if claims.version == user.token_version and constant_time_compare(claims.password, fingerprint):
        return True
    kept = user.password_token_id
    return bool(claims.token_id and kept) and constant_time_compare(
        kept, kept_token_id(claims.token_id, user)
    )


def _requires_authentication(request: Request) -> bool:
    """Whether the view answering `request` admits only authenticated callers (declares
    IsAuthenticated); True when there is no DRF view to ask."""
    view = (request.parser_context or {}).get("view")
    if view is None:
        return True
    return any(isinstance(permission, IsAuthenticated) for permission in view.get_permissions())


class JWTAuthentication(BaseAuthentication):
    """A token that is not valid (malformed, expired, tampered, issued before its account's
    password last changed, or naming an account that is deactivated or gone) answers 401
    `token` `is invalid` where the view requires authentication. Where authentication is
    optional it counts as no token, so that a browser still holding a stale token sees the
    public pages instead of an error."""

    def authenticate(self, request: Request) -> tuple[Any, TokenClaims] | None:
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

    def _authenticate(self, request: Request) -> tuple[Any, TokenClaims] | None:
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        if parts[0].lower() not in _SCHEMES or len(parts) != 2:
            raise AuthenticationFailed("is invalid")
        token = parts[1].decode("latin-1")
        claims = token_claims(token)
        # Remembered until a change of the user: a password change and a deactivation both
        # forget the user's reads, so neither waits for the cache. A copy, since the services
        # change the user they are handed (the remembered one is every request's).
        user = read_through(
            (user_scope(claims.user_id),),
            ("token-user", claims.user_id),
            lambda: get_user_model().objects.filter(pk=claims.user_id, is_active=True).first(),
            shared=False,
        )
        if user is None or not token_is_current(user, claims):
            raise AuthenticationFailed("is invalid")
        user = copy.copy(user)
        bind_actor(user.pk)
        # request.auth: the view that changes a password names the token it came through.
        return user, claims

    def authenticate_header(self, request: Request) -> str:
        # A non-empty challenge makes DRF answer 401 (not 403) to missing credentials.
        return "Token"
