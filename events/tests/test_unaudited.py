"""An event class that is no business change declares it (`audited = False`, and `kept_as`
what is kept instead): the outbox writes no audit record and no delivery for it, while the
bus still hands it to its inline subscribers and counts it in the metrics. It can have no
background subscriber, which the worker would have to rebuild it from a record for."""

from dataclasses import dataclass
from typing import ClassVar

import pytest
from django.db import transaction

from events import bus
from events.core import metrics
from events.core.event import Event, unregister
from events.models import EventRecord
from events.ops.checks import check_unaudited_events
from events.outbox import UnauditedEventError, deliveries
from events.tests import support

pytestmark = pytest.mark.django_db


@dataclass(frozen=True, slots=True, kw_only=True)
class PageGlanced(Event):
    """A page was looked at (test only)."""

    type_name: ClassVar[str] = "tests.PageGlanced"
    audited: ClassVar[bool] = False
    kept_as: ClassVar[str] = "a count per page"

    page: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PageWandered(Event):
    """Not audited, and says nothing of what it keeps instead (test only)."""

    type_name: ClassVar[str] = "tests.PageWandered"
    audited: ClassVar[bool] = False

    page: str


@pytest.fixture(autouse=True, scope="module")
def _forget_test_types():
    yield
    for type_name in ("tests.PageGlanced", "tests.PageWandered"):
        unregister(type_name)


def published_count(type_name: str) -> float:
    return metrics.EVENTS_PUBLISHED.labels(type_name)._value.get()


def test_an_unaudited_event_reaches_its_inline_handlers_and_the_metrics_but_not_the_trail(
    fresh_bus,
):
    fresh_bus.subscribe(PageGlanced, support.remember)
    before = published_count("tests.PageGlanced")
    event = PageGlanced(page="/about")

    bus.publish(event)

    assert support.calls == [("remember", event)]
    assert published_count("tests.PageGlanced") == before + 1
    assert not EventRecord.objects.exists()
    assert not deliveries().exists()


def test_an_unaudited_event_is_handled_at_once_with_no_commit_to_wait_for(fresh_bus):
    fresh_bus.subscribe(PageGlanced, support.remember)
    event = PageGlanced(page="/about")

    with pytest.raises(RuntimeError), transaction.atomic():
        bus.publish(event)
        assert support.calls == [("remember", event)], "handled before any commit"
        raise RuntimeError("the request failed after the page was seen")

    assert support.calls == [("remember", event)]


def test_an_unaudited_event_refuses_background_handlers(fresh_bus):
    fresh_bus.subscribe(PageGlanced, support.follow_up, background=True)

    with pytest.raises(UnauditedEventError, match=r"tests\.PageGlanced stays out of the audit"):
        bus.publish(PageGlanced(page="/about"))

    errors = {(error.id, error.obj) for error in check_unaudited_events()}
    assert ("events.E004", PageGlanced) in errors
    assert not EventRecord.objects.exists()


def test_an_unaudited_event_must_say_what_is_kept_instead(fresh_bus):
    errors = [error for error in check_unaudited_events() if error.obj is PageWandered]

    assert [error.id for error in errors] == ["events.E004"]
    assert "does not say what is kept of it instead" in errors[0].msg


def test_the_projects_unaudited_events_pass_the_check():
    project = [error for error in check_unaudited_events() if error.obj is not PageWandered]

    assert project == []
