"""Domain exceptions, and the one handler that renders every error as `{"errors": ...}`."""

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from conduit.constraints import constraint_violation


class DomainError(Exception):
    """A business rule said no; `key` and `message` are what the client reads."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_key = "body"
    default_message = "is invalid"

    def __init__(self, key: str | None = None, message: str | None = None) -> None:
        self.key = key or self.default_key
        self.message = message or self.default_message
        super().__init__(f"{self.key} {self.message}")

    @property
    def errors(self) -> dict[str, list[str]]:
        return {self.key: [self.message]}

    @property
    def headers(self) -> dict[str, str]:
        """Response headers that go with the error (a 429's Retry-After)."""
        return {}


class Invalid(DomainError):
    """A value breaks a rule (422)."""


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_message = "not found"

    def __init__(self, resource: str) -> None:
        super().__init__(resource)


class Forbidden(DomainError):
    """The caller may not do this (403): not theirs, or not something one may do to oneself."""

    status_code = status.HTTP_403_FORBIDDEN
    default_message = "forbidden"

    def __init__(self, resource: str, message: str | None = None) -> None:
        super().__init__(resource, message)


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    default_message = "has already been taken"

    def __init__(self, field: str) -> None:
        super().__init__(field)


class InvalidCredentials(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_key = "credentials"
    default_message = "invalid"


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors like the input; RealWorld wants one level of field -> messages."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "body" if key in ("non_field_errors", "detail") else str(key)
            for leaf, messages in _flatten(value, name).items():
                flat.setdefault(leaf, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "body": [str(item) for item in detail]}
        flat = {}
        for item in detail:
            for leaf, messages in _flatten(item, prefix).items():
                flat.setdefault(leaf, []).extend(messages)
        return flat
    return {prefix or "body": [str(detail)]}


TOO_LARGE = {"body": ["is too large"]}
RATE_LIMITED = {"rate": ["limit exceeded, try again later"]}


def retry_after(seconds: float) -> str:
    """Whole seconds, rounded up: a client that waits that long is let in."""
    return str(max(1, math.ceil(seconds)))


def _error(status_code: int, errors: dict[str, list[str]]) -> Response:
    return Response({"errors": errors}, status=status_code)


def realworld_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        set_rollback()
        response = _error(exc.status_code, exc.errors)
        for name, value in exc.headers.items():
            response[name] = value
        return response
    if isinstance(exc, drf.Throttled):
        # A throttle scope's rate is spent (security/throttling.py).
        response = _error(429, RATE_LIMITED)
        if exc.wait is not None:
            response["Retry-After"] = retry_after(exc.wait)
        return response
    if isinstance(exc, IntegrityError):
        return _constraint_violated(exc)
    if isinstance(exc, RequestDataTooBig):
        # conduit.middleware refuses a declared oversized body first; this is the backstop.
        return _error(413, TOO_LARGE)
    if isinstance(exc, Http404):
        return _error(404, {"body": ["not found"]})
    if isinstance(exc, DjangoPermissionDenied):
        return _error(403, {"body": ["forbidden"]})
    if isinstance(exc, drf.NotAuthenticated):
        return _error(401, {"token": ["is missing"]})
    if isinstance(exc, drf.AuthenticationFailed):
        return _error(401, {"token": ["is invalid"]})
    if isinstance(exc, (drf.ParseError, drf.UnsupportedMediaType)):
        return _error(422, {"body": ["must be a JSON object"]})
    if isinstance(exc, drf.MethodNotAllowed):
        return _error(405, {"body": ["method not allowed"]})
    if isinstance(exc, drf.ValidationError):
        return _error(422, _flatten(exc.detail))
    if isinstance(exc, drf.APIException):
        return _error(exc.status_code, _flatten(exc.detail))
    return None


def _constraint_violated(exc: IntegrityError) -> Response:
    """A constraint refused a write no service absorbed (a race): a conflict (409) when it
    was a uniqueness constraint, 422 otherwise, keyed by the field when there is exactly
    one. The violation (names only) rides on the response for events/middleware.py, which
    publishes DatabaseConstraintViolation."""
    set_rollback()
    violation = constraint_violation(exc)
    key = violation.field or "body"
    if violation.kind == "unique":
        response = _error(409, {key: ["has already been taken"]})
    else:
        response = _error(422, {key: ["is invalid"]})
    response.constraint_violation = violation
    return response


# Also the view of every unmatched /api/ path, for every method: CSRF protects cookie sessions,
# and the API authenticates by header, so an unsafe method gets the 404 too, not a CSRF 403.
@csrf_exempt
def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"errors": {"body": ["not found"]}}, status=404)


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"errors": TOO_LARGE}, status=413)
    return JsonResponse({"errors": {"body": ["bad request"]}}, status=400)


def json_forbidden(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"errors": {"body": ["forbidden"]}}, status=403)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"errors": {"body": ["internal server error"]}}, status=500)
