"""The edge answers JSON: what gunicorn refuses before Django sees a request, and the chunked
request bodies Django cannot read by itself.

- `write_json_error` replaces gunicorn's HTML error page (a request line over
  --limit-request-line: 414, a header over --limit-request-field_size or too many: 431, a
  malformed request: 400, ...) with the RealWorld error shape; conduit/gunicorn_config.py
  installs it in `make serve`'s gunicorn.
- `ChunkedBodies` gives Django the length of a `Transfer-Encoding: chunked` body, which the
  server de-chunks but sends without CONTENT_LENGTH (Django would read it as empty).
"""

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def json_error_response(status: int, reason: str, message: str) -> bytes:
    body = json.dumps({"errors": {"body": [message or reason.lower()]}}).encode("ascii")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error's signature and contract, answering JSON."""
    from gunicorn.util import write_nonblock

    write_nonblock(sock, json_error_response(status_int, reason, mesg))


def _is_chunked(environ: dict[str, Any]) -> bool:
    codings = environ.get("HTTP_TRANSFER_ENCODING", "").lower().split(",")
    return "chunked" in (coding.strip() for coding in codings)


class ChunkedBodies:
    """A chunked body is read (at most DATA_UPLOAD_MAX_MEMORY_SIZE + 1 bytes: a larger one is
    answered 413 by conduit.middleware, as a declared one is) when the server says its input
    ends (`wsgi.input_terminated`, as gunicorn does); a server that does not (runserver)
    answers 411 in the RealWorld shape rather than read the body as empty."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if _is_chunked(environ) and not environ.get("CONTENT_LENGTH"):
            if not environ.get("wsgi.input_terminated"):
                body = json.dumps(
                    {"errors": {"body": ["a chunked body is not supported here: send its length"]}}
                ).encode()
                start_response(
                    "411 Length Required",
                    [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
                )
                return [body]
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = environ["wsgi.input"].read(-1 if limit is None else limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)
