"""The edge answers JSON: the real `make serve` (gunicorn, DEBUG off) spoken to over raw
sockets with the requests that gunicorn itself refuses, or that Django alone would misread.
No answer under /api is HTML; a chunked body is read like one with a length."""

import io
import json
import socket
from collections.abc import Iterator

import pytest

from conduit.edge import ChunkedBodies
from conduit.tests.serving import make_serve
from users.models import User

BODY_LIMIT = 4096  # the server's DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.fixture(scope="module")
def served(django_db_setup, tmp_path_factory) -> Iterator[int]:
    """`make serve` on a free port against the test database; its port."""
    with make_serve(
        tmp_path_factory.mktemp("edge"), DATA_UPLOAD_MAX_MEMORY_SIZE=str(BODY_LIMIT)
    ) as port:
        yield port


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends the raw request; the status, headers (lower-case names) and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
        client.sendall(request)
        received = b""
        while chunk := client.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = dechunk(body)
    return int(status_line.split()[1]), headers, body


def dechunk(body: bytes) -> bytes:
    decoded = b""
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return decoded
        decoded, body = decoded + body[:size], body[size + 2 :]


def request(
    target: str, *headers: str, method: str = "GET", body: bytes = b"", host: str = "127.0.0.1"
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(body: bytes, size: int = 17) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def assert_json_error(answer: tuple[int, dict[str, str], bytes], status: int) -> dict:
    got, headers, body = answer
    assert got == status, (got, body[:300])
    assert headers["content-type"] == "application/json", headers
    errors = json.loads(body)["errors"]
    assert errors and all(isinstance(messages, list) for messages in errors.values()), errors
    return errors


ODD_REQUESTS = {
    # A 5,000-character path reaches Django (gunicorn's line limit is 8190): a JSON 404.
    "long path": (request("/api/articles/" + "a" * 5000), 404),
    # Past the line limit, gunicorn answers: 414, in JSON.
    "path over the line limit": (request("/api/articles/" + "a" * 9000), 414),
    # A 9 KB token reaches Django (the field limit is 16 KiB): invalid, 401.
    "token over 8 KB": (request("/api/user", "Authorization: Token " + "a" * 9000), 401),
    "header over the field limit": (request("/api/user", "X-Padding: " + "a" * 20000), 431),
    "too many headers": (request("/api/tags", *(f"X-H{n}: v" for n in range(120))), 431),
    "bad header name": (request("/api/tags", "Bad Header Name: v"), 400),
    "bad request line": (b"GET /api/tags HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n", 400),
    "bad HTTP version": (b"GET /api/tags HTTP/7.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    "length and chunked at once": (
        request(
            "/api/users",
            "Content-Length: 5",
            "Transfer-Encoding: chunked",
            method="POST",
            body=chunked(b"{}"),
        ),
        400,
    ),
    "bad chunk size": (
        request("/api/users", "Transfer-Encoding: chunked", method="POST", body=b"zz\r\n{}\r\n"),
        400,
    ),
    "unknown host": (request("/api/tags", host="evil.example"), 400),
    "oversized chunked body": (
        request(
            "/api/users",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
            method="POST",
            body=chunked(b"[" + b"0," * BODY_LIMIT + b"0]", size=1000),
        ),
        413,
    ),
}


@pytest.mark.parametrize("case", ODD_REQUESTS)
def test_no_answer_under_api_is_html(served, case):
    raw, status = ODD_REQUESTS[case]

    assert_json_error(exchange(served, raw), status)


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_is_read_like_one_with_a_length(served):
    user = {
        "user": {
            "username": "chunky",
            "email": "chunky@example.com",
            "password": "chunky password 1",
        }
    }
    registration = json.dumps(user).encode()

    status, _, body = exchange(
        served,
        request(
            "/api/users",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
            method="POST",
            body=chunked(registration),
        ),
    )

    assert status == 201, body
    assert json.loads(body)["user"]["username"] == "chunky"
    assert User.objects.filter(username="chunky").exists()
    # And a chunked login, with the token it answers used on the next request.
    login = json.dumps(
        {"user": {"email": "chunky@example.com", "password": "chunky password 1"}}
    ).encode()
    status, _, body = exchange(
        served,
        request(
            "/api/users/login",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
            method="POST",
            body=chunked(login, size=5),
        ),
    )
    assert status == 200, body
    token = json.loads(body)["user"]["token"]
    status, _, body = exchange(served, request("/api/user", f"Authorization: Token {token}"))
    assert status == 200
    assert json.loads(body)["user"]["email"] == "chunky@example.com"


def test_a_server_that_cannot_end_a_chunked_body_answers_411_in_json():
    """runserver (wsgiref) passes the raw socket: reading to the end would wait forever."""
    called = []
    app = ChunkedBodies(lambda environ, start_response: called.append(environ) or [b""])
    started = []
    environ = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"2\r\n{}\r\n0")}

    answer = b"".join(app(environ, lambda status, headers: started.append((status, headers))))

    assert started[0][0] == "411 Length Required"
    assert dict(started[0][1])["Content-Type"] == "application/json"
    assert "send its length" in json.loads(answer)["errors"]["body"][0]
    assert not called
