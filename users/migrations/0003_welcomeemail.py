"""The record of each account's welcome email (users/emails.py), so it goes out once."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0002_token_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="WelcomeEmail",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="welcome_email",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
    ]
