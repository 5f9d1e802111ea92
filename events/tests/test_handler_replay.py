"""Every background handler of the catalog is idempotent on its own: run twice for the same
event, its receipt removed in between (a replay, a redelivery after a lost receipt), it leaves
the same state: the same rows in every table, the same audit trail, the same emails.

The handlers come from the registry (every app's EVENT_HANDLERS, events/core/wiring.py), so a
new one is covered as soon as it is wired; the scenario below must then give it an event to
handle (the test fails naming it until it does)."""

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from articles.services import article_create, article_delete, article_favorite, article_update
from comments.services import comment_create
from events import bus
from events.core.bus import handler_path
from events.core.wiring import Background, handler_tables
from events.models import DeliveryReceipt
from events.ops.events import DatabaseConstraintViolation, OrphanedDataDetected
from events.outbox import deliver_event, deliveries
from events.system.analytics.events import HighTrafficDetected
from events.system.maintenance.services import user_data_cleanup_request
from events.system.security.services import login_attempt_record, login_lock_if_due
from events.worker import build_worker
from users.services import user_follow, user_register, user_update

pytestmark = pytest.mark.django_db

# What a replay writes anyway, or what this test removes: the receipts and the queue.
NOT_STATE = {DeliveryReceipt, DBTaskResult}
# The full-text index on SQLite (articles/search.py): a table no model describes.
SQLITE_SEARCH_INDEX = "articles_search_fts"


@pytest.fixture(autouse=True)
def _lagging_worker(settings):
    """Deliveries wait for this test to run them; thresholds low enough that every handler
    has something to do."""
    settings.EVENTS_DELIVER_ON_COMMIT = False
    settings.ARTICLES_MILESTONE_EVERY = 1
    settings.ADMINS = ["staff@example.com"]
    settings.SECURITY_LOCKOUT_FAILURES = 2
    settings.SECURITY_STUFFING_ACCOUNTS = 2


def background_handlers() -> set[str]:
    """Every background handler wired in the catalog."""
    return {
        handler_path(entry.handler)
        for table in handler_tables().values()
        for handlers in table.values()
        for entry in handlers
        if isinstance(entry, Background)
    }


def state() -> dict[str, object]:
    """Every row of every table the product owns (the receipts and the queue aside), and the
    emails sent."""
    snapshot: dict[str, object] = {}
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model in NOT_STATE or model._meta.proxy or model._meta.db_table not in tables:
            continue  # (the search index's model has a table on PostgreSQL only)
        snapshot[model._meta.label] = list(model._base_manager.order_by("pk").values())
    if SQLITE_SEARCH_INDEX in tables:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid, * FROM {SQLITE_SEARCH_INDEX} ORDER BY rowid")
            snapshot[SQLITE_SEARCH_INDEX] = cursor.fetchall()
    snapshot["emails"] = [(m.subject, m.to, m.body) for m in mail.outbox]
    return snapshot


def everything_happens() -> None:
    """One of every event a background handler reacts to, with enough around it that each
    handler acts (a milestone, spam, a lock, a stuffing report...)."""
    alice = user_register(username="alice", email="alice@example.com", password="password1")
    bob = user_register(username="bob", email="bob@example.com", password="password2")
    charlie = user_register(username="charlie", email="charlie@example.com", password="password3")
    spam = "Cheap pills, buy now at http://a.example http://b.example http://c.example"
    articles = [
        article_create(
            author=alice, title=f"Pills {n}", description="d", body=spam, tag_list=["dragons"]
        )
        for n in range(10)
    ]
    article = article_create(author=alice, title="Real", description="d", body="A real post.")
    article_update(article=article, user=alice, body="A real post, edited.")
    article_favorite(article=article, user=bob)
    user_follow(follower=bob, followed=alice)
    comment_create(article=article, author=bob, body="Nice one.")
    comment_create(article=article, author=charlie, body="Buy cheap pills now!")
    article_delete(article=articles[-1], user=alice)
    for account in (alice, bob):
        for _ in range(2):
            login_attempt_record(
                email=account.email,
                user_id=account.pk,
                outcome="failed",
                client_ip="203.0.113.9",
                user_agent="stuffer",
            )
    login_lock_if_due(email=alice.email, user_id=alice.pk, client_ip="203.0.113.9")
    login_attempt_record(
        email=alice.email,
        user_id=alice.pk,
        outcome="succeeded",
        client_ip="198.51.100.7",
        user_agent="browser",
    )
    user_update(user=alice, password="a new password")
    user_update(user=bob, email="robert@example.com")
    # What staff hear of, as the analytics and maintenance detectors publish it.
    bus.publish(HighTrafficDetected(window_start=alice.date_joined, requests=9, threshold=1))
    bus.publish(DatabaseConstraintViolation(kind="unique", constraint="c", table="t"))
    bus.publish(OrphanedDataDetected(kind="tag", count=1, sample_ids=("1",)))
    user_data_cleanup_request(user_id=charlie.pk, keep_content=False)


def run(delivery: DBTaskResult) -> None:
    deliver_event.call(*delivery.args_kwargs["args"])


def test_every_background_handler_run_twice_for_one_event_leaves_the_same_state():
    everything_happens()
    covered: set[str] = set()
    done: set = set()
    for _ in range(1000):
        delivery = (
            deliveries()
            .filter(status=TaskResultStatus.READY)
            .exclude(pk__in=done)
            .order_by("enqueued_at", "pk")
            .first()
        )
        if delivery is None:
            break
        event_id, handler = delivery.args_kwargs["args"]
        run(delivery)
        once = state()
        DeliveryReceipt.objects.filter(event_id=event_id, handler=handler).delete()
        run(delivery)
        assert state() == once, f"{handler} ran twice for {event_id} and did more"
        assert DeliveryReceipt.objects.filter(event_id=event_id, handler=handler).count() == 1
        done.add(delivery.pk)
        covered.add(handler)
    else:
        raise AssertionError("the deliveries never ran out")

    missing = background_handlers() - covered
    assert not missing, f"no event in the scenario for {sorted(missing)}: add one"


def test_the_worker_run_again_on_every_delivery_with_the_receipts_removed_leaves_the_same_state():
    """The same, through the worker's batches: handlers that take batches handle several
    events at once, and run again as a batch they must still find everything done."""
    everything_happens()
    build_worker().run()
    once = state()
    handled = DeliveryReceipt.objects.count()
    assert handled > 0
    assert not deliveries().exclude(status=TaskResultStatus.SUCCESSFUL).exists()

    DeliveryReceipt.objects.all().delete()
    deliveries().update(status=TaskResultStatus.READY, worker_ids=[])
    build_worker().run()

    assert state() == once
    assert DeliveryReceipt.objects.count() == handled
    assert not deliveries().exclude(status=TaskResultStatus.SUCCESSFUL).exists()
