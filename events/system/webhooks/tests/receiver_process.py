"""A webhook receiver in a process of its own (test_concurrency.py): so that its threads do
not share the sender's interpreter. POSTs to a path starting with /slow are answered after
--slow seconds, the others at once; GET /_counts gives each path's count, GET /_ids?path=
the webhook-ids it received, GET /_last?path= when (time.monotonic(), the clock every process
of the host shares) its last one arrived. Prints its port, then serves until killed."""

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Server(ThreadingHTTPServer):
    # The listen backlog (set before the socket listens: the default 5 overflowed, and each
    # dropped connection was tried again by the client's TCP after a second).
    request_queue_size = 1024
    daemon_threads = True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=float, default=5.0)
    args = parser.parse_args()
    ids: dict[str, list[str]] = {}
    last: dict[str, float] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.startswith("/slow"):
                time.sleep(args.slow)
            with lock:
                ids.setdefault(self.path, []).append(self.headers["webhook-id"])
                last[self.path] = time.monotonic()
            self.answer(b"ok")

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            with lock:
                if url.path == "/_counts":
                    document = {path: len(got) for path, got in ids.items()}
                elif url.path == "/_last":
                    document = last.get(parse_qs(url.query)["path"][0])
                else:
                    document = ids.get(parse_qs(url.query)["path"][0], [])
            self.answer(json.dumps(document).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
