"""Mail in production: with DEBUG off and no EMAIL_URL, the mail backend refuses every send
(conduit/mail.py). A registration still answers 201; its welcome email's delivery fails in the
worker and is retried, seen in a log line and a metric, and goes out once mail is set up."""

import logging

import pytest
from django.core import mail
from django.tasks import TaskResultStatus
from django.utils import timezone
from prometheus_client import REGISTRY

from events.outbox import deliveries
from events.worker import build_worker
from users.models import WelcomeEmail

pytestmark = pytest.mark.django_db

HANDLER = "users.emails.send_welcome_email"
RETRIED = "conduit_event_deliveries_retried_total"


def test_no_email_url_fails_the_delivery_visibly_and_never_the_request(
    api_client, django_capture_on_commit_callbacks, settings, caplog
):
    settings.MAILERS = {"default": {"BACKEND": "conduit.mail.UnconfiguredEmailBackend"}}
    settings.EVENTS_DELIVER_ON_COMMIT = False  # as in production: the worker sends it
    retried_before = REGISTRY.get_sample_value(RETRIED) or 0.0
    user = {"username": "erin", "email": "erin@example.com", "password": "correct horse"}

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/users", {"user": user}, format="json")
    with caplog.at_level(logging.WARNING, logger="events.worker"):
        build_worker().run()

    assert response.status_code == 201
    delivery = next(d for d in deliveries() if d.args_kwargs["args"][1] == HANDLER)
    assert (delivery.status, len(delivery.worker_ids)) == (TaskResultStatus.READY, 1)
    assert delivery.exception_class_path.endswith("ImproperlyConfigured")
    (line,) = [r for r in caplog.records if r.name == "events.worker" and HANDLER in r.getMessage()]
    assert "failed (attempt 1/" in line.getMessage()
    assert "EMAIL_URL is not set" in str(line.exc_info[1])
    assert REGISTRY.get_sample_value(RETRIED) == retried_before + 1
    assert mail.outbox == []
    assert not WelcomeEmail.objects.exists()  # rolled back with the failed attempt

    # EMAIL_URL set (and the process restarted): the retry, once due, sends it.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    type(delivery).objects.filter(pk=delivery.pk).update(run_after=timezone.now())
    build_worker().run()

    delivery.refresh_from_db()
    assert (delivery.status, len(delivery.worker_ids)) == (TaskResultStatus.SUCCESSFUL, 2)
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]
