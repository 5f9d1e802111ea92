"""A TCP proxy a test controls, between a process and the database: `cut()` ends every
connection through it and refuses new ones (they are accepted and closed at once, as a
PostgreSQL that is shutting down does) until `restore()`. The database itself stays up for
everyone else on the machine."""

import contextlib
import selectors
import socket
import threading


class TcpProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._down = False
        self._closing = False
        self._accepted = 0
        self._thread = threading.Thread(target=self._serve, name="tcp-proxy", daemon=True)

    def __enter__(self) -> "TcpProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing = True
        self.cut()
        self._listener.close()
        self._thread.join(timeout=10)

    @property
    def accepted(self) -> int:
        """Connections opened through the proxy while it was up."""
        return self._accepted

    def cut(self) -> None:
        with self._lock:
            self._down = True
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for end in pair:
                _close(end)

    def restore(self) -> None:
        with self._lock:
            self._down = False

    def _serve(self) -> None:
        self._listener.settimeout(0.2)
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            with self._lock:
                down = self._down
            if down:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._pairs.append((client, server))
                self._accepted += 1
            threading.Thread(target=_pump, args=(client, server), daemon=True).start()


def _pump(client: socket.socket, server: socket.socket) -> None:
    """Copy bytes both ways until either end closes (or the proxy cuts them)."""
    peer = {client: server, server: client}
    with selectors.DefaultSelector() as selector:
        selector.register(client, selectors.EVENT_READ)
        selector.register(server, selectors.EVENT_READ)
        try:
            while True:
                for key, _ in selector.select(timeout=0.5):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    peer[key.fileobj].sendall(data)
                if client.fileno() == -1 or server.fileno() == -1:
                    return
        except (OSError, ValueError):
            return
        finally:
            _close(client)
            _close(server)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
