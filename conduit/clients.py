"""Who is calling: the client's address and user agent, as the login audit and the rate
limits see them."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The caller's address. `X-Forwarded-For` is believed only as far as NUM_PROXIES says
    (the proxies in front of us, each appending the address it saw): with none (the
    default), a client could name any address there, so only the socket's counts."""
    remote_addr = request.META.get("REMOTE_ADDR") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = settings.NUM_PROXIES
    if not proxies or not forwarded:
        return remote_addr
    addresses = forwarded.split(",")
    return addresses[-min(proxies, len(addresses))].strip()


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")
