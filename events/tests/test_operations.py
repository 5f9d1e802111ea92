"""Operators' view of the event system: metrics, checks, catalog, request ids, test doubles."""

import dataclasses
import json
import os
from io import StringIO
from pathlib import Path
from typing import ClassVar

import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory

from events import bus
from events.core import metrics
from events.core.context import current_context
from events.core.event import unregister
from events.middleware import RequestContextMiddleware
from events.ops.checks import check_background_handlers, check_event_classes
from events.testing import MockEventBus
from events.tests import support
from events.tests.support import SampleHappened


@pytest.mark.django_db
def test_metrics_count_published_events_and_handler_runs(fresh_bus, committed, settings):
    settings.METRICS_TOKEN = "s3cret"
    fresh_bus.subscribe(SampleHappened, support.remember)
    fresh_bus.subscribe(SampleHappened, support.explode)
    fresh_bus.subscribe(SampleHappened, support.flaky_follow_up, background=True)
    before = _scrape(settings)

    with committed():
        bus.publish(SampleHappened(sample_id=1))

    after = _scrape(settings)
    published = 'conduit_events_published_total{type="tests.SampleHappened"}'
    ok = _runs("remember", "inline", "ok")
    error = _runs("explode", "inline", "error")
    background = _runs("flaky_follow_up", "background", "ok")
    for sample in (published, ok, error, background):
        assert after.get(sample, 0) - before.get(sample, 0) == 1, sample
    assert (
        'conduit_event_handler_duration_seconds_count{handler="events.tests.support.remember",mode="inline"}'
        in after
    )
    assert after['conduit_event_deliveries{state="dead"}'] == 1  # explode's failed inline run
    assert after["conduit_event_backlog_age_seconds"] == 0, "nothing due waits"


def _runs(handler: str, mode: str, outcome: str) -> str:
    return (
        "conduit_event_handler_runs_total{"
        f'handler="events.tests.support.{handler}",mode="{mode}",outcome="{outcome}"}}'
    )


def _scrape(settings) -> dict[str, float]:
    from django.test import Client

    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")
    assert response.status_code == 200
    samples = {}
    for line in response.content.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


@pytest.mark.django_db
def test_metrics_are_refused_without_the_token_and_hidden_when_disabled(client, settings):
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403

    settings.METRICS_ENABLED = False
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 404


@pytest.mark.django_db
def test_staff_may_read_metrics(client, alice):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)

    response = client.get("/metrics")

    assert response.status_code == 200
    assert b"conduit_events_published_total" in response.content


def test_the_request_id_is_accepted_echoed_and_bound_to_the_context():
    seen = []

    def view(request):
        seen.append(current_context().request_id)
        return HttpResponse()

    middleware = RequestContextMiddleware(view)
    offered = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="abc-123"))
    made = middleware(RequestFactory().get("/"))
    hostile = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="<script>"))

    assert offered["X-Request-ID"] == "abc-123"
    assert len(made["X-Request-ID"]) == 32
    assert hostile["X-Request-ID"] != "<script>"
    assert seen == ["abc-123", made["X-Request-ID"], hostile["X-Request-ID"]]
    assert current_context().request_id == "", "the context does not leak out of the request"


def test_event_classes_that_are_not_frozen_slotted_dataclasses_fail_the_system_check():
    class Undecorated(SampleHappened):
        type_name = "tests.Undecorated"

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Unslotted(SampleHappened):
        type_name: ClassVar[str] = "tests.Unslotted"

    try:
        errors = check_event_classes()
    finally:
        unregister("tests.Undecorated")
        unregister("tests.Unslotted")

    assert [(error.id, error.msg.split(" (")[0]) for error in errors] == [
        ("events.E001", "Event tests.Undecorated"),
        ("events.E001", "Event tests.Unslotted"),
    ]
    assert "is not a dataclass" in errors[0].msg
    assert "is not slotted" in errors[1].msg
    assert check_event_classes() == []


def test_background_handlers_that_cannot_be_imported_fail_the_system_check(fresh_bus):
    def local_handler(event):
        pass

    fresh_bus.subscribe(SampleHappened, support.follow_up, background=True)
    assert check_background_handlers() == []

    fresh_bus.subscribe(SampleHappened, local_handler, background=True)
    errors = check_background_handlers()

    assert [error.id for error in errors] == ["events.E002"]
    assert "local_handler" in errors[0].msg


def test_the_committed_event_catalog_is_up_to_date():
    out = StringIO()
    call_command("events_catalog", "--format", "md", stdout=out)

    committed = Path(settings.BASE_DIR, "docs", "events.md").read_text()
    regenerate = "python manage.py events_catalog --format md > docs/events.md"
    assert out.getvalue() == committed, f"docs/events.md is stale: run `{regenerate}`"


def test_every_event_in_the_catalog_has_a_consumer_or_says_why_it_has_none():
    out = StringIO()
    call_command("events_catalog", "--format", "json", stdout=out)

    unconsumed = [
        entry["type"]
        for entry in json.loads(out.getvalue())
        if not (entry["subscribers"]["inline"] or entry["subscribers"]["background"])
        and not entry["unconsumed_because"]
    ]
    assert unconsumed == []


def test_the_json_catalog_lists_fields_and_subscribers():
    out = StringIO()
    call_command("events_catalog", "--format", "json", stdout=out)

    catalog = json.loads(out.getvalue())
    assert catalog, "the project declares events"
    for entry in catalog:
        assert {"type", "category", "version", "fields", "description", "subscribers"} <= set(entry)
        assert {"name": "event_id", "type": "UUID"} in entry["fields"]
    assert not any(entry["type"].startswith("tests.") for entry in catalog)


def test_mock_bus_records_and_explains_what_it_did_not_see():
    mock = MockEventBus()
    event = SampleHappened(sample_id=1, names=("a",))
    mock.publish(event)

    assert mock.call_count == 1
    assert mock.assert_event_published(SampleHappened, sample_id=1) is event
    with pytest.raises(AssertionError) as failure:
        mock.assert_event_published(SampleHappened, sample_id=2, names=("a",))
    assert "- sample_id: expected 2, got 1" in str(failure.value)
    assert "  names: expected ('a',), got ('a',)" in str(failure.value)

    mock.reset()
    assert mock.published == []
    mock.assert_nothing_published()


def test_the_mock_bus_fixture_replaces_the_shared_bus(mock_event_bus):
    bus.publish(SampleHappened(sample_id=3))

    mock_event_bus.assert_published_exactly([SampleHappened(sample_id=3)])


def test_metrics_flush_moves_buffered_samples():
    metrics.record_handler_run("tests.handler", "inline", True, 0.001)
    metrics.flush()

    assert not metrics._samples


def test_a_fresh_process_knows_every_apps_event_types():
    """The worker rebuilds events by type name, so every app's events module must be loaded
    at start-up, not only when some view happens to import it."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "manage.py", "events_catalog", "--format", "json"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=180,  # a bound for a machine running two suites at once
    ).stdout

    types = {entry["type"] for entry in json.loads(out)}
    assert {"users.UserRegistered", "articles.ArticleCreated", "comments.CommentDeleted"} <= types
    assert {"tags.TagUsed", "users.UserFollowed"} <= types


def test_importing_the_event_system_starts_nothing_and_start_up_starts_the_flusher():
    import subprocess
    import sys

    script = (
        "import threading, django\n"
        "import events, events.core.bus, events.core.metrics, events.core.wiring\n"
        "print(sorted(t.name for t in threading.enumerate()))\n"
        "django.setup()\n"
        "print(sorted(t.name for t in threading.enumerate()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "conduit.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=180,  # a bound for a machine running two suites at once
    ).stdout

    assert out.splitlines() == [
        "['MainThread']",
        "['MainThread', 'event-metrics-flusher']",
    ]


def test_the_mock_bus_compares_whole_events_but_ids_and_times():
    mock = MockEventBus()
    mock.publish(SampleHappened(sample_id=1, names=("a",)))

    mock.assert_published_exactly([SampleHappened(sample_id=1, names=("a",))])
    with pytest.raises(AssertionError) as failure:
        mock.assert_published_exactly([SampleHappened(sample_id=1)])
    assert "- #0: expected SampleHappened(sample_id=1, names=()" in str(failure.value)
    assert "got      SampleHappened(sample_id=1, names=('a',)" in str(failure.value)
    with pytest.raises(AssertionError, match="#1: expected SampleHappened"):
        mock.assert_published_exactly([SampleHappened(sample_id=1, names=("a",))] * 2)
