"""Deliveries written before the system concerns moved under events/system/ (and before the
read cache's renewals became one handler) name handlers by their old paths; the maintenance
app's data migration renames the unfinished ones, so the worker still imports and runs them."""

import importlib
from uuid import uuid4

import pytest
from django.apps import apps
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from events.models import DeliveryReceipt, EventRecord
from events.outbox import DELIVER_TASK_PATH, deliveries

migration = importlib.import_module("events.system.maintenance.migrations.0001_moved_handler_paths")

# Every handler the event catalog listed at the old layout (docs/events.md at a5460e5).
OLD_HANDLERS = [
    "articles.milestones.notify_staff_of_milestone",
    "articles.receivers.forget_article_reads",
    "articles.receivers.forget_favorite_reads",
    "articles.receivers.forget_lists",
    "articles.search.update_search_index",
    "comments.receivers.forget_comment_reads",
    "conduit.readcache.forget_everything",
    "events.analytics.receivers.check_articles_written",
    "events.analytics.receivers.check_comments_written",
    "events.analytics.receivers.check_favorites_received",
    "events.analytics.receivers.check_followers",
    "events.analytics.receivers.check_popular_tag",
    "events.analytics.receivers.count_article_view",
    "events.analytics.receivers.count_search",
    "events.maintenance.receivers.clean_up_user_data",
    "events.moderation.receivers.check_article_for_spam",
    "events.moderation.receivers.check_comment_for_spam",
    "events.moderation.receivers.check_edited_article_for_spam",
    "events.moderation.receivers.forget_moderated_reads",
    "events.moderation.receivers.reindex_moderated_article",
    "events.security.receivers.announce_password_change",
    "events.security.receivers.detect_credential_stuffing",
    "events.security.receivers.flag_new_ip_after_lock",
    "events.security.receivers.lock_account_after_failed_logins",
    "users.emails.send_welcome_email",
    "users.receivers.forget_follower_reads",
    "users.receivers.forget_profile_reads",
    "users.receivers.forget_user_reads",
]


@pytest.mark.parametrize("old", OLD_HANDLERS)
def test_every_old_handler_path_names_a_handler_of_today(old):
    assert callable(import_string(migration.moved(old)))


def _delivery(event_id, handler: str, status: str) -> DBTaskResult:
    now = timezone.now()
    return DBTaskResult.objects.create(
        args_kwargs={"args": [str(event_id), handler], "kwargs": {}},
        task_path=DELIVER_TASK_PATH,
        status=status,
        queue_name="default",
        backend_name="default",
        run_after=now,
        enqueued_at=now,
        priority=0,
    )


@pytest.mark.django_db
def test_the_migration_renames_unfinished_deliveries_and_their_receipts():
    event_id = uuid4()
    EventRecord.objects.create(
        event_id=event_id, type="articles.ArticleCreated", version=1, payload={},
        occurred_at=timezone.now(),
    )  # fmt: skip
    waiting = _delivery(event_id, "events.moderation.receivers.check_article_for_spam", "READY")
    dead = _delivery(event_id, "articles.receivers.forget_lists", TaskResultStatus.FAILED)
    done = _delivery(event_id, "events.analytics.receivers.check_articles_written", "SUCCESSFUL")
    DeliveryReceipt.objects.create(
        event_id=event_id, handler="events.moderation.receivers.check_article_for_spam"
    )

    migration.forwards(apps, None)

    handlers = dict(deliveries().values_list("id", "args_kwargs__args__1"))
    assert handlers[waiting.pk] == "events.system.moderation.receivers.check_article_for_spam"
    assert handlers[dead.pk] == "conduit.readcache.renew_reads"
    # A finished delivery is history, left as it ran.
    assert handlers[done.pk] == "events.analytics.receivers.check_articles_written"
    assert list(DeliveryReceipt.objects.values_list("handler", flat=True)) == [
        "events.system.moderation.receivers.check_article_for_spam"
    ]

    migration.backwards(apps, None)

    waiting.refresh_from_db()
    assert waiting.args_kwargs["args"][1] == "events.moderation.receivers.check_article_for_spam"
