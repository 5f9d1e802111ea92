import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from events.core.context import event_context

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestContextMiddleware:
    """Accepts a sane `X-Request-ID` or makes one, stamps it on every event, echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if _ACCEPTABLE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        request.request_id = request_id
        with event_context(request_id=request_id, actor_id=None, causation_id=None):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
