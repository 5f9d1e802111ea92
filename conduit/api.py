"""API conventions shared by every app: timestamps, paging, envelopes."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.views import APIView

from conduit.errors import Invalid

MAX_PAGE_SIZE = 100
# Far past any real page, and well inside every database's integer range (a larger OFFSET
# overflows the query instead of returning an empty page).
MAX_OFFSET = 1_000_000_000


# A list page formats 40 timestamps, the same ones on every read of it: remembered, the
# TIMESTAMP_CACHE_ENTRIES latest used (each new article brings two).
@lru_cache(maxsize=settings.TIMESTAMP_CACHE_ENTRIES)
def format_timestamp(value: datetime) -> str:
    """ISO 8601, UTC, milliseconds: `2026-02-18T03:22:56.637Z`."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def _non_negative_int(
    request: Request, name: str, default: int, minimum: int, maximum: int | None = None
) -> int:
    raw = request.query_params.get(name)
    if raw is None:  # `?offset=` is no integer: refused, as the schema says
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(name, "must be an integer") from None
    if value < minimum:
        raise Invalid(name, f"must be greater than or equal to {minimum}")
    if maximum is not None and value > maximum:
        raise Invalid(name, f"must be less than or equal to {maximum}")
    return value


def page_from_request(request: Request, default_limit: int = 20) -> Page:
    """`limit` (1..100, default 20; more is read as 100) and `offset` (0..MAX_OFFSET) from the
    query string; 422 when invalid."""
    limit = min(_non_negative_int(request, "limit", default_limit, 1), MAX_PAGE_SIZE)
    return Page(limit=limit, offset=_non_negative_int(request, "offset", 0, 0, MAX_OFFSET))


def unwrap(request: Request, name: str) -> dict:
    """The object inside RealWorld's envelope (`{"article": {...}}`); 422 when absent."""
    body = request.data
    if not isinstance(body, dict) or not isinstance(body.get(name), dict):
        raise Invalid("body", f'must be a JSON object wrapped in "{name}"')
    return body[name]


METHOD_NOT_ALLOWED = {"errors": {"body": ["method not allowed"]}}


def by_method(**views: type[APIView]) -> Callable[..., HttpResponse]:
    """One URL, several operations: `by_method(get=UserGetApi, put=UserUpdateApi)` sends each
    HTTP method to its own single-operation view (HEAD to the GET view), answers OPTIONS with
    the allowed methods, and any other method with a JSON 405 and an `Allow` header. The
    schema generator reads the per-method views from the returned function's `views`."""
    handlers = {method.upper(): view.as_view() for method, view in views.items()}
    if "GET" in handlers:
        handlers.setdefault("HEAD", handlers["GET"])
    allowed = ", ".join([*handlers, "OPTIONS"])

    def dispatch(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        handler = handlers.get(request.method or "")
        if handler is None:
            if request.method == "OPTIONS":  # CORS preflights are answered by corsheaders
                response = HttpResponse(status=204)
            else:
                response = JsonResponse(METHOD_NOT_ALLOWED, status=405)
            response["Allow"] = allowed
            return response
        return handler(request, *args, **kwargs)

    routed = csrf_exempt(dispatch)
    routed.views = handlers  # type: ignore[attr-defined]
    return routed
