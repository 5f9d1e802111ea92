"""Where a webhook may be sent: an https:// URL whose host resolves to public addresses only,
checked when an endpoint is saved and again before every request, whose connection then goes
to the address that was checked (a name that resolves differently the second time cannot
slip through). No loopback, private, shared, link-local (cloud metadata at 169.254.169.254),
unique-local, multicast or reserved address, IPv4-mapped ones included. Redirects are never
followed. WEBHOOKS_ALLOW_PRIVATE=1 (development and tests only) lifts the address rule and
allows http://."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

# Metadata services that some clouds serve on addresses `is_global` does not catch.
METADATA_ADDRESSES = {
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
}


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; the message says why (and names no secret)."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    # The checked address the connection goes to.
    address: str


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (tests replace this to play a DNS answer)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and ip not in METADATA_ADDRESSES


def check_url(url: str, *, allow_private: bool | None = None) -> Target:
    """The URL's target, after checking its scheme and every address its host resolves to;
    raises UnsafeURL."""
    if allow_private is None:
        allow_private = settings.WEBHOOKS_ALLOW_PRIVATE
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"not a URL: {exc}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeURL(
            "only https:// URLs receive webhooks"
            + ("" if allow_private else " (http:// needs WEBHOOKS_ALLOW_PRIVATE=1)")
        )
    if not parts.hostname:
        raise UnsafeURL("the URL names no host")
    if parts.username or parts.password:
        raise UnsafeURL("the URL may not carry a user name or password")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"{parts.hostname} does not resolve: {exc}") from None
    if not addresses:
        raise UnsafeURL(f"{parts.hostname} does not resolve")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise UnsafeURL(
                    f"{parts.hostname} resolves to {address}, which is not a public address"
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])
