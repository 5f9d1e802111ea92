"""Requests under /api/ that no view can answer well are answered here, before any view runs,
in the RealWorld errors shape."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

API_ROOT = "/api"


def _error(status: int, key: str, message: str) -> JsonResponse:
    return JsonResponse({"errors": {key: [message]}}, status=status)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django reads it: no body


def api_refusal(request: HttpRequest) -> JsonResponse | None:
    """Why an /api/ request is refused before routing, or None.

    - A body declared larger than DATA_UPLOAD_MAX_MEMORY_SIZE: 413, before a byte of it is
      read (Django would answer its HTML 400 once a view read it).
    - A NUL character in the path: 404, in a query parameter: 422. No slug, username or tag
      can hold one, and PostgreSQL's text type cannot even be asked about one.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and _declared_length(request) > limit:
        return _error(413, "body", "is too large")
    if "\x00" in request.path_info:
        return _error(404, "body", "not found")
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return _error(422, name.replace("\x00", "") or "body", "is invalid")
    return None


class ApiRequestGuardMiddleware:
    """Applies `api_refusal` to every request under /api/; after CorsMiddleware, so that a
    browser can read the refusal."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path == API_ROOT or path.startswith(f"{API_ROOT}/"):
            refusal = api_refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)
