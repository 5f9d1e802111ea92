"""Endpoints in the admin: staff create them (the secret shown once), rotate, resume and
resend through the services; every change is an audited event with no secret in it;
moderators see none of it."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from events.models import EventRecord
from events.system.moderation.tests.conftest import moderators_group
from events.system.webhooks import services
from events.system.webhooks.models import Attempt, Delivery, Endpoint
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:webhooks_endpoint_add")
CHANGELIST = reverse("admin:webhooks_endpoint_changelist")


@pytest.fixture
def root(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root@example.com", "root", "pw"))
    return client


def secrets_in(html: str) -> list[str]:
    return re.findall(r"whsec_[A-Za-z0-9+/=]+", html)


def audit_text() -> str:
    return json.dumps(list(EventRecord.objects.values_list("type", "payload")))


def test_staff_create_an_endpoint_and_see_its_secret_once(root, private_allowed):
    response = root.post(
        ADD,
        {
            "url": "http://127.0.0.1:9/hook",
            "description": "search service",
            "event_types": ["articles.ArticleCreated", "comments.ArticleCommentAdded"],
            "active": "on",
        },
    )

    assert response.status_code == 200
    [secret] = secrets_in(response.content.decode())
    endpoint = Endpoint.objects.get()
    assert endpoint.secret == secret
    assert endpoint.event_types == ["articles.ArticleCreated", "comments.ArticleCommentAdded"]
    assert "no-store" in response["Cache-Control"]
    change = root.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert change.status_code == 200
    assert secrets_in(change.content.decode()) == []
    assert secrets_in(root.get(CHANGELIST).content.decode()) == []
    [created] = EventRecord.objects.filter(type="webhooks.EndpointCreated")
    assert created.payload["url"] == "http://127.0.0.1:9/hook"
    assert "whsec_" not in audit_text()


def test_the_admin_refuses_a_private_address_by_default(root):
    response = root.post(ADD, {"url": "https://10.0.0.8/hook", "all_events": "on", "active": "on"})

    assert response.status_code == 200
    assert "not a public address" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_a_change_rotation_and_resend_go_through_the_services_and_are_audited(
    root, private_allowed
):
    endpoint, first = services.endpoint_create(url="http://127.0.0.1:9/a", event_types=["*"])
    change_url = reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])

    response = root.post(
        change_url,
        {"url": "http://127.0.0.1:9/b", "description": "", "all_events": "on", "active": "on"},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:9/b"
    changed = EventRecord.objects.get(type="webhooks.EndpointChanged")
    assert changed.payload["changed"] == ["url"]

    response = root.post(CHANGELIST, {"action": "rotate_secret", "_selected_action": [endpoint.pk]})
    assert response.status_code == 200
    [second] = secrets_in(response.content.decode())
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (second, first)
    assert EventRecord.objects.filter(type="webhooks.SecretRotated").count() == 1

    delivery = Delivery.objects.order_by("id").first()
    Delivery.objects.filter(pk=delivery.pk).update(status="dead")
    response = root.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "resend", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert EventRecord.objects.filter(type="webhooks.DeliveryResent").count() == 1
    assert "whsec_" not in audit_text()


def test_an_endpoint_page_shows_its_recent_attempts(root, private_allowed):
    endpoint, _ = services.endpoint_create(url="http://127.0.0.1:9/a", event_types=["*"])
    delivery = Delivery.objects.get()
    Attempt.objects.create(
        delivery=delivery,
        endpoint=endpoint,
        attempted_at=delivery.created_at,
        ok=False,
        status_code=503,
        latency_ms=42,
        response_excerpt="upstream down",
    )

    page = root.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))

    html = page.content.decode()
    assert "503" in html and "42 ms" in html and "upstream down" in html


def test_deleting_an_endpoint_is_audited(root, private_allowed):
    endpoint, _ = services.endpoint_create(url="http://127.0.0.1:9/a", event_types=["*"])

    response = root.post(
        reverse("admin:webhooks_endpoint_delete", args=[endpoint.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Endpoint.objects.exists()
    assert EventRecord.objects.filter(type="webhooks.EndpointDeleted").count() == 1


def test_moderators_cannot_see_or_change_endpoints(private_allowed):
    services.endpoint_create(url="http://127.0.0.1:9/a", event_types=["*"])
    moderator = UserFactory(username="mo", email="mo@example.com", is_staff=True)
    moderator.groups.add(moderators_group())
    client = Client()
    client.force_login(moderator)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.get(reverse("admin:webhooks_delivery_changelist")).status_code == 403
    assert "Webhooks" not in client.get(reverse("admin:index")).content.decode()
