# The system concerns moved under events/system/ (events.security -> events.system.security,
# ...), and the read cache's renewals left the apps' receivers for one handler
# (conduit.readcache.renew_reads): delivery rows and receipts written before name handlers
# by their old paths, which the worker would no longer import. A data migration of the
# maintenance app (the system's upkeep); no table changes.

from django.db import migrations

DELIVER_TASK_PATHS = ("events.outbox.deliver_event",)
MOVED_PACKAGES = {
    f"events.{concern}.": f"events.system.{concern}."
    for concern in ("security", "moderation", "analytics", "maintenance")
}
# The inline handlers that forgot reads, each now part of renew_reads (a failed one is kept
# as a delivery to retry).
RENEW_READS = "conduit.readcache.renew_reads"
FORGOTTEN = (
    "conduit.readcache.forget_everything",
    "users.receivers.forget_user_reads",
    "users.receivers.forget_profile_reads",
    "users.receivers.forget_follower_reads",
    "articles.receivers.forget_lists",
    "articles.receivers.forget_article_reads",
    "articles.receivers.forget_favorite_reads",
    "comments.receivers.forget_comment_reads",
    "events.moderation.receivers.forget_moderated_reads",
)


def moved(handler: str) -> str:
    if handler in FORGOTTEN:
        return RENEW_READS
    for old, new in MOVED_PACKAGES.items():
        if handler.startswith(old):
            return new + handler[len(old) :]
    return handler


def back(handler: str) -> str:
    for old, new in MOVED_PACKAGES.items():
        if handler.startswith(new):
            return old + handler[len(new) :]
    return handler


def rename(apps, rename_handler) -> None:
    """The unfinished deliveries (waiting, running or dead: what the worker may still run)
    and the receipts of their events; finished ones are history, left as they ran."""
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DeliveryReceipt = apps.get_model("events", "DeliveryReceipt")
    unfinished = DBTaskResult.objects.filter(task_path__in=DELIVER_TASK_PATHS).exclude(
        status="SUCCESSFUL"
    )
    event_ids = set()
    for row in unfinished.iterator():
        args = row.args_kwargs.get("args", [])
        if len(args) == 2 and rename_handler(args[1]) != args[1]:
            event_ids.add(args[0])
            row.args_kwargs = {**row.args_kwargs, "args": [args[0], rename_handler(args[1])]}
            row.save(update_fields=["args_kwargs"])
    for receipt in DeliveryReceipt.objects.filter(event_id__in=event_ids):
        handler = rename_handler(receipt.handler)
        taken = DeliveryReceipt.objects.filter(event_id=receipt.event_id, handler=handler)
        if handler != receipt.handler and not taken.exists():
            receipt.handler = handler
            receipt.save(update_fields=["handler"])


def forwards(apps, schema_editor):
    rename(apps, moved)


def backwards(apps, schema_editor):
    rename(apps, back)


class Migration(migrations.Migration):
    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("events", "0004_eventrecord_aggregate_id_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
