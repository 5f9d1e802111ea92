# The deliver task moved from events/delivery.py to events/outbox.py: delivery rows written
# before the move name the old path, which the worker would no longer recognise.

from django.db import migrations

OLD_PATH = "events.delivery.deliver_event"
NEW_PATH = "events.outbox.deliver_event"


def forwards(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path=OLD_PATH).update(task_path=NEW_PATH)


def backwards(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path=NEW_PATH).update(task_path=OLD_PATH)


class Migration(migrations.Migration):
    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("events", "0002_delivery"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
