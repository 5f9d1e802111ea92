"""The Moderators group, with exactly the permissions to moderate: read the review queue and
its flags, approve and remove (moderation.moderate_content), read the audit trail. Nothing
else: no user, article, comment or delivery, and no change but through the queue's actions.
Staff accounts join it through the users admin (users.services.user_access_update)."""

from django.db import migrations

GROUP = "Moderators"
# (app label, model, codename, name): the permissions may not exist yet when this runs
# (Django creates them after the last migration), so they are made here if missing.
PERMISSIONS = [
    ("moderation", "moderationitem", "view_moderationitem", "Can view moderation item"),
    ("moderation", "moderationitem", "moderate_content", "Can approve and remove flagged content"),
    ("moderation", "flag", "view_flag", "Can view flag"),
    ("events", "eventrecord", "view_eventrecord", "Can view event record"),
]


def create_moderators(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = []
    for app_label, model, codename, name in PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        permissions.append(permission)
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(permissions)


def delete_moderators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("events", "0004_eventrecord_aggregate_id_length"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators, delete_moderators)]
