"""A real HTTP receiver on a loopback port, for the webhooks tests, and the verification code
of docs/webhooks.md (the test reads it from the document, so the two cannot drift)."""

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes


# What a path answers: (status, extra headers, body), after sleeping as long as it says.
Behaviour = Callable[[Received], tuple[int, dict[str, str], bytes]]


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str, behaviour: Behaviour) -> str:
        self.behaviours[path] = behaviour
        return self.url(path)

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [item for item in self.received if item.path == path]

    def count(self, path: str) -> int:
        return self.counts.get(path, 0)

    def wait_for(self, path: str, count: int, timeout: float = 60.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"{path}: {len(self.at(path))} of {count} requests arrived")


def ok(received: Received) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, b"thanks"


class Server(ThreadingHTTPServer):
    # The listen backlog, set before the socket listens (set on the instance, it came too late:
    # the default 5 overflowed, and the client's TCP tried each dropped connection again a
    # second later).
    request_queue_size = 1024
    daemon_threads = True


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            item = Received(
                time.monotonic(),
                self.path,
                {key.lower(): value for key, value in self.headers.items()},
                self.rfile.read(length),
            )
            with receiver.lock:
                receiver.received.append(item)
                receiver.counts[item.path] = receiver.counts.get(item.path, 0) + 1
            status, headers, body = receiver.behaviours.get(self.path, ok)(item)
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the sender gave up waiting (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


def documented_verifier() -> Callable[..., bool]:
    """The `verify` function of docs/webhooks.md, executed as printed there."""
    text = (Path(settings.BASE_DIR) / "docs" / "webhooks.md").read_text()
    code = re.search(r"```python\n(# verify\.py.*?)```", text, re.S)
    assert code, "docs/webhooks.md lost its verification example"
    namespace: dict[str, object] = {}
    exec(code.group(1), namespace)
    return namespace["verify"]  # type: ignore[return-value]
