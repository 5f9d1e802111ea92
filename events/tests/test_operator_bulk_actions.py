"""Every command and admin action that changes many rows ends with one BulkOperationCompleted
(the others are tested with their apps: users, articles, comments, follows, tags, and the
maintenance commands); one that changed nothing tells nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus

from articles.models import Article
from articles.services import article_create
from events.ops.events import BulkOperationCompleted
from events.outbox import deliveries, enqueue_deliveries
from events.testing import assert_same_events, recorded
from events.tests.support import SampleHappened
from users.events import UserReactivated
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def completed(kind: str, count: int, succeeded: int, skipped: int = 0, details: str = "", **events):
    return BulkOperationCompleted(
        kind=kind,
        count=count,
        succeeded=succeeded,
        skipped=skipped,
        details=details,
        events_published=events.get("events", {}),
        duration_ms=0,
    )


@pytest.fixture
def dead_deliveries():
    event = SampleHappened(sample_id=1)
    ids = enqueue_deliveries(event, ["events.tests.support.remember"] * 2)
    deliveries().filter(pk__in=ids).update(status=TaskResultStatus.FAILED)
    return ids


def test_events_retry_is_one_bulk_operation(dead_deliveries, mock_event_bus, operation_clock):
    call_command("events_retry", stdout=StringIO())

    mock_event_bus.assert_published_exactly([completed("deliveries.retry", 2, 2)])
    call_command("events_retry", stdout=StringIO())
    assert len(mock_event_bus.published) == 1, "nothing left to retry: nothing told"


def test_the_admins_retry_is_one_bulk_operation(
    client, dead_deliveries, fresh_bus, operation_clock
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    fresh = enqueue_deliveries(SampleHappened(sample_id=2), ["events.tests.support.remember"])

    response = client.post(
        "/admin/events/delivery/",
        {"action": "retry", "_selected_action": [str(pk) for pk in [*dead_deliveries, *fresh]]},
    )

    assert response.status_code == 302
    assert_same_events(recorded(BulkOperationCompleted), [completed("deliveries.retry", 2, 2)])


def test_reactivating_in_the_admin_is_one_bulk_operation(client, mock_event_bus, operation_clock):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    dormant = [UserFactory(is_active=False), UserFactory(is_active=False)]

    response = client.post(
        "/admin/users/user/",
        {"action": "reactivate_accounts", "_selected_action": [user.pk for user in dormant]},
    )

    assert response.status_code == 302
    assert User.objects.filter(is_active=False).count() == 0
    mock_event_bus.assert_published_exactly(
        [
            UserReactivated(user_id=dormant[0].pk),
            UserReactivated(user_id=dormant[1].pk),
            completed("users.reactivate", 2, 2, events={"users.UserReactivated": 2}),
        ]
    )


def test_articles_recount_is_one_bulk_operation_and_a_dry_run_tells_nothing(
    alice, mock_event_bus, operation_clock
):
    article = article_create(author=alice, title="One", description="d", body="b")
    Article.objects.filter(pk=article.pk).update(favorites_count=9)
    mock_event_bus.reset()

    call_command("articles_recount", "--dry-run", stdout=StringIO())
    mock_event_bus.assert_nothing_published()

    call_command("articles_recount", stdout=StringIO())
    mock_event_bus.assert_published_exactly([completed("articles.recount", 1, 1)])

    call_command("articles_recount", stdout=StringIO())
    assert len(mock_event_bus.published) == 1, "a second recount corrects nothing"
