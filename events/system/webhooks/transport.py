"""One signed POST to one endpoint, with the standard library's http.client: the address is
checked (events/system/webhooks/safety.py) and connected to directly, no redirect is
followed, the answer's body is read up to READ_LIMIT bytes, and the whole exchange must end
within the timeout."""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from time import perf_counter

from django.conf import settings

from events.system.webhooks import signing
from events.system.webhooks.safety import Target, UnsafeURL, check_url

READ_LIMIT = 1024
USER_AGENT = "Conduit-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(
    url: str, *, msg_id: str, body: bytes, secrets: list[str], timeout: float | None = None
) -> Outcome:
    """Send one signed message; never raises for what the network or the receiver did."""
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS if timeout is None else timeout
    start = perf_counter()

    def outcome(ok: bool, status: int | None, excerpt: str = "", error: str = "") -> Outcome:
        return Outcome(ok, status, int((perf_counter() - start) * 1000), excerpt, error[:500])

    try:
        target = check_url(url)
    except UnsafeURL as exc:
        return outcome(False, None, error=f"refused: {exc}")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(secrets, msg_id, timestamp, body),
    }
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(READ_LIMIT).decode("utf-8", "replace")
        status = response.status
        location = response.getheader("Location", "")
    except TimeoutError:
        return outcome(False, None, error=f"no answer within {timeout:g}s")
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return outcome(False, None, error=f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
    if perf_counter() - start > timeout:
        return outcome(False, status, excerpt, f"the answer took longer than {timeout:g}s")
    if 300 <= status < 400:
        return outcome(False, status, excerpt, f"redirect to {location[:200]} not followed")
    if not 200 <= status < 300:
        return outcome(False, status, excerpt, f"answered {status}")
    return outcome(True, status, excerpt)
