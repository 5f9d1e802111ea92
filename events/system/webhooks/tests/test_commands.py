"""webhooks_add, webhooks_test and webhooks_prune."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from events.system.webhooks.models import Attempt, Delivery, Endpoint
from events.system.webhooks.tests.support import documented_verifier

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_webhooks_add_prints_the_id_and_secret_once_as_json_alone(private_allowed):
    types = "articles.ArticleCreated,tags.TagUsed"
    out = run("webhooks_add", "http://127.0.0.1:9/h", "--events", types, "--json")

    document = json.loads(out)
    endpoint = Endpoint.objects.get()
    assert document == {"id": endpoint.pk, "secret": endpoint.secret}
    assert document["secret"].startswith("whsec_")
    assert endpoint.event_types == ["articles.ArticleCreated", "tags.TagUsed"]


def test_webhooks_add_refuses_a_private_address_and_an_unknown_type():
    with pytest.raises(CommandError, match="not a public address"):
        run("webhooks_add", "https://192.168.0.10/h", "--events", "*")
    with pytest.raises(CommandError, match="only https"):
        run("webhooks_add", "http://93.184.215.14/h", "--events", "*")
    with pytest.raises(CommandError, match=r"not an event type of the catalog: nope\.Nothing"):
        run("webhooks_add", "https://93.184.215.14/h", "--events", "nope.Nothing")
    assert not Endpoint.objects.exists()


def test_webhooks_add_dry_run_creates_nothing():
    out = run("webhooks_add", "https://93.184.215.14/h", "--events", "*", "--dry-run", "--json")

    assert json.loads(out)["dry_run"] is True
    assert not Endpoint.objects.exists()


def test_webhooks_test_sends_a_signed_test_event(private_allowed, receiver):
    url = receiver.url("/t")
    secret = json.loads(run("webhooks_add", url, "--events", "*", "--json"))["secret"]

    result = json.loads(run("webhooks_test", url, "--json"))

    [got] = receiver.at("/t")
    assert result["ok"] is True and result["status"] == 200
    assert json.loads(got.body)["type"] == "webhooks.test"
    assert got.headers["webhook-id"] == result["id"]
    assert documented_verifier()(secret, got.headers, got.body)


def test_webhooks_test_refuses_a_private_address():
    with pytest.raises(CommandError, match="not a public address"):
        run("webhooks_test", "https://127.0.0.1/h")


def test_webhooks_prune_deletes_old_attempts_and_finished_deliveries_only(private_allowed):
    run("webhooks_add", "http://127.0.0.1:9/a", "--events", "*")
    [finished] = Delivery.objects.all()  # the endpoint's own creation
    run("webhooks_add", "http://127.0.0.1:9/b", "--events", "*")
    old = timezone.now() - timedelta(days=31)
    Delivery.objects.filter(pk=finished.pk).update(status="delivered", finished_at=old)
    Delivery.objects.exclude(pk=finished.pk).update(created_at=old)  # old, still pending
    Attempt.objects.create(
        delivery=finished, endpoint_id=finished.endpoint_id, attempted_at=old, ok=True,
        latency_ms=1,
    )  # fmt: skip

    counted = json.loads(run("webhooks_prune", "--dry-run", "--json"))
    assert (counted["attempts"], counted["deliveries"], counted["dry_run"]) == (1, 1, True)
    assert Delivery.objects.count() == 3

    done = json.loads(run("webhooks_prune", "--json"))
    assert (done["attempts"], done["deliveries"]) == (1, 1)
    assert not Attempt.objects.exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    assert Delivery.objects.count() == 2
