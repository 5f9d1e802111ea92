"""SSRF: private addresses, a public name that resolves to a private address, and redirects
are refused (when an endpoint is saved and when a delivery is sent), and recorded."""

import pytest

from events import bus
from events.core.unit_of_work import unit_of_work
from events.system.webhooks import safety, services
from events.system.webhooks.models import Attempt, Delivery, Endpoint
from events.system.webhooks.safety import UnsafeURL, check_url
from events.system.webhooks.sender import Sender
from events.tests.support import SampleHappened

pytestmark = pytest.mark.django_db

PRIVATE = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata (link-local)
    "100.100.100.200",  # a cloud's metadata, in the shared range
    "0.0.0.0",
    "::1",
    "fe80::1",
    "fd00:ec2::254",  # unique-local (a cloud's metadata)
    "fc00::5",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "224.0.0.1",
]


@pytest.fixture
def dns(monkeypatch):
    """A DNS answer the test chooses, for any name."""
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host in answers:
            return answers[host]
        return [host.strip("[]")] if host.replace(".", "").replace(":", "").isalnum() else []

    monkeypatch.setattr(safety, "resolve", resolve)
    return answers


@pytest.mark.parametrize("address", PRIVATE)
def test_a_private_address_is_refused(dns, address):
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeURL, match="not a public address"):
        check_url(f"https://{host}/hook")


def test_a_public_address_over_https_is_allowed_and_http_is_not(dns):
    assert check_url("https://93.184.215.14/hook").address == "93.184.215.14"
    with pytest.raises(UnsafeURL, match="only https"):
        check_url("http://93.184.215.14/hook")


def test_a_public_name_that_resolves_to_a_private_address_is_refused(dns):
    dns["hooks.example.com"] = ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(UnsafeURL, match=r"hooks\.example\.com resolves to 10\.0\.0\.7"):
        services.endpoint_create(url="https://hooks.example.com/x", event_types=["*"])
    assert not Endpoint.objects.exists()


def test_a_name_that_turns_private_after_it_was_saved_is_refused_at_send_time_and_recorded(
    dns, receiver
):
    dns["hooks.example.com"] = ["93.184.215.14"]
    services.endpoint_create(url="https://hooks.example.com/x", event_types=["*"])
    Delivery.objects.all().delete()
    with unit_of_work():
        bus.publish(SampleHappened(sample_id=1))
    dns["hooks.example.com"] = ["127.0.0.1"]  # DNS rebinding

    Sender().drain(timeout=10, until=lambda: Attempt.objects.exists())

    attempt = Attempt.objects.get()
    assert not attempt.ok and attempt.status_code is None
    assert attempt.error == (
        "refused: hooks.example.com resolves to 127.0.0.1, which is not a public address"
    )
    assert Delivery.objects.get().status == "pending"  # retried later, refused again


def test_a_redirect_is_never_followed_and_is_recorded(private_allowed, receiver):
    inner = receiver.url("/internal")
    url = receiver.on("/hook", lambda r: (302, {"Location": inner}, b""))
    services.endpoint_create(url=url, event_types=["*"])
    Delivery.objects.all().delete()
    with unit_of_work():
        bus.publish(SampleHappened(sample_id=1))

    Sender().drain(timeout=10, until=lambda: Attempt.objects.exists())

    attempt = Attempt.objects.get()
    assert (attempt.ok, attempt.status_code) == (False, 302)
    assert attempt.error == f"redirect to {inner} not followed"
    assert receiver.at("/internal") == []


def test_private_addresses_and_http_are_allowed_with_the_development_switch(private_allowed):
    assert check_url("http://127.0.0.1:8000/hook").address == "127.0.0.1"
