"""Usernames become unique without regard to letter case, NFKC and Cyrillic or Greek
look-alikes (users.validators.username_key). Where existing names already collide, the
migration stops and names the command that lists them: an operator decides which account
changes its name (`manage.py username_duplicates`); nothing is renamed silently."""

from django.db import migrations, models

from users.validators import username_key


def fill_username_keys(apps, schema_editor):
    User = apps.get_model("users", "User")
    users = list(User.objects.only("pk", "username").order_by("pk"))
    owners: dict[str, list[str]] = {}
    for user in users:
        user.username_key = username_key(user.username)
        owners.setdefault(user.username_key, []).append(user.username)
    clashes = {key: names for key, names in owners.items() if len(names) > 1}
    if clashes:
        shown = "; ".join(", ".join(repr(name) for name in names) for names in clashes.values())
        raise RuntimeError(
            f"{len(clashes)} group(s) of usernames differ only by letter case, Unicode form or "
            f"look-alike letters ({shown[:500]}). Nothing was changed. List them with "
            "`python manage.py username_duplicates` (or `--json`), rename all but one of each "
            "group (the admin, or users.services.user_update), then migrate again."
        )
    User.objects.bulk_update(users, ["username_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("users", "0004_password_token_bound")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(default="", editable=False, max_length=150),
            preserve_default=False,
        ),
        migrations.RunPython(fill_username_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=["username_key"], name="user_username_key_unique"
            ),
        ),
    ]
