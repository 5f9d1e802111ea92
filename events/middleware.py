import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from events.core.context import bind_actor, event_context
from events.ops.reports import report_constraint_violation

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestContextMiddleware:
    """Accepts a sane `X-Request-ID` or makes one, stamps it on every event, echoes it back.

    It also tells what the request's answer reports about the system: a response that
    answered a database constraint violation carries it (`constraint_violation`, set by the
    API's exception handler, conduit/errors.py, which may not name system events), and it is
    published as DatabaseConstraintViolation, in the request's context, after the request's
    own transactions are over. In the admin, it stamps the staff member as the actor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if _ACCEPTABLE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        request.request_id = request_id
        with event_context(request_id=request_id, actor_id=None, causation_id=None):
            response = self.get_response(request)
            violation = getattr(response, "constraint_violation", None)
            if violation is not None:
                _report_violation(violation)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any):
        """In the admin, staff act under their session: what they change is theirs in the audit
        trail (the API binds its token's user itself, conduit/auth.py)."""
        match = request.resolver_match
        if match is None or match.namespace != "admin":
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            bind_actor(user.pk)
        return None


def _report_violation(violation: Any) -> None:
    # The answer matters more than the report: a failure to record it is logged, not raised.
    try:
        report_constraint_violation(
            kind=violation.kind, constraint=violation.constraint, table=violation.table
        )
    except Exception:
        logger.exception("Could not record a database constraint violation")
