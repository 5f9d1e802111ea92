"""The welcome email: sent by the worker after registration, through Django's mailers, retried
when the mail server fails, never holding up or failing the registration, once per account."""

from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.tasks import TaskResultStatus

from events.models import DeliveryReceipt, EventRecord
from events.ops.redelivery import deliveries_retry
from events.outbox import deliver_event, deliveries
from events.worker import build_worker
from users.emails import send_welcome_email
from users.events import UserRegistered
from users.models import User, WelcomeEmail
from users.services import user_delete, user_register

pytestmark = pytest.mark.django_db

HANDLER = "users.emails.send_welcome_email"
NEW_USER = {"username": "dana", "email": "dana@example.com", "password": "correct horse"}


class FailingMailServer(EmailBackend):
    """The locmem backend behind a mail server that drops the connection `failures` times."""

    failures = 0

    def send_messages(self, messages):
        if FailingMailServer.failures > 0:
            FailingMailServer.failures -= 1
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def failing_mail_server(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingMailServer"}}
    settings.EVENTS_RETRY_BASE_SECONDS = 0  # retries are due at once
    yield FailingMailServer
    FailingMailServer.failures = 0


def register(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/users", {"user": NEW_USER}, format="json")
    assert response.status_code == 201, response.json()
    return response


def welcome_delivery():
    return next(d for d in deliveries() if d.args_kwargs["args"][1] == HANDLER)


def test_a_new_account_is_welcomed_by_email(api_client, django_capture_on_commit_callbacks):
    register(api_client, django_capture_on_commit_callbacks)

    user = User.objects.get(username="dana")
    assert [(m.subject, m.to, m.from_email) for m in mail.outbox] == [
        ("Welcome to Conduit, dana", ["dana@example.com"], "Conduit <conduit@localhost>")
    ]
    assert "Hello dana," in mail.outbox[0].body
    assert "sign in with dana@example.com" in mail.outbox[0].body
    assert WelcomeEmail.objects.filter(user=user).exists()


def test_registration_only_queues_the_email(django_capture_on_commit_callbacks, settings):
    settings.EVENTS_DELIVER_ON_COMMIT = False  # as in production: the worker sends it

    with django_capture_on_commit_callbacks(execute=True):
        user = user_register(**NEW_USER)

    assert mail.outbox == []
    assert welcome_delivery().status == TaskResultStatus.READY
    build_worker().run()
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]
    assert WelcomeEmail.objects.filter(user=user).exists()


def test_a_failing_mail_server_neither_fails_the_registration_nor_sends_twice(
    api_client, django_capture_on_commit_callbacks, failing_mail_server
):
    failing_mail_server.failures = 2

    response = register(api_client, django_capture_on_commit_callbacks)

    assert response.json()["user"]["username"] == "dana"
    assert mail.outbox == []
    delivery = welcome_delivery()
    assert (delivery.status, len(delivery.worker_ids)) == (TaskResultStatus.READY, 1)
    assert "SMTPServerDisconnected" in delivery.exception_class_path
    assert not WelcomeEmail.objects.exists()  # rolled back with the failed attempt

    build_worker().run()

    delivery.refresh_from_db()
    assert (delivery.status, len(delivery.worker_ids)) == (TaskResultStatus.SUCCESSFUL, 3)
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]


def test_a_redelivered_or_replayed_registration_sends_no_second_email(
    api_client, django_capture_on_commit_callbacks
):
    register(api_client, django_capture_on_commit_callbacks)
    record = EventRecord.objects.get(type="users.UserRegistered")
    event = UserRegistered(user_id=record.payload["user_id"], username="dana", email="d@x.org")

    assert deliver_event.call(str(record.event_id), HANDLER) == "already handled"
    DeliveryReceipt.objects.filter(handler=HANDLER).delete()  # a replay past the receipts
    assert deliver_event.call(str(record.event_id), HANDLER) == "handled"
    send_welcome_email(event)

    assert len(mail.outbox) == 1


def test_a_dead_mail_server_leaves_a_dead_letter_and_a_retry_sends_it(
    api_client, client, django_capture_on_commit_callbacks, failing_mail_server, settings
):
    settings.EVENTS_MAX_ATTEMPTS = 2
    failing_mail_server.failures = 2
    register(api_client, django_capture_on_commit_callbacks)
    build_worker().run()
    delivery = welcome_delivery()
    assert delivery.status == TaskResultStatus.FAILED
    assert mail.outbox == []

    # Operators see it: in the admin's deliveries by handler, and in /metrics.
    client.force_login(User.objects.create_superuser("root@example.com", "root", "long enough"))
    page = client.get("/admin/events/delivery/", {"handler": HANDLER, "status__exact": "FAILED"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    scrape = client.get("/metrics").content.decode()
    assert f'conduit_event_handler_deliveries{{handler="{HANDLER}",state="dead"}} 1.0' in scrape
    assert f'handler="{HANDLER}",mode="background",outcome="error"' in scrape

    deliveries_retry(deliveries().filter(pk=delivery.pk))
    build_worker().run()

    delivery.refresh_from_db()
    assert delivery.status == TaskResultStatus.SUCCESSFUL
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]


def test_an_account_removed_before_the_worker_ran_is_not_written_to(
    django_capture_on_commit_callbacks, settings
):
    settings.EVENTS_DELIVER_ON_COMMIT = False
    with django_capture_on_commit_callbacks(execute=True):
        user = user_register(**NEW_USER)
    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=user)

    build_worker().run()

    assert welcome_delivery().status == TaskResultStatus.SUCCESSFUL
    assert mail.outbox == []
