"""An index of the event deliveries that are not finished (pending, running, dead), so that the
delivery backlog (events.outbox.delivery_backlog: the dashboard, /metrics) counts them without
reading the finished ones, which pile up with history (30 ms at 250,000 deliveries without it,
and growing). A partial index on another app's table, hence SQL; PostgreSQL and SQLite both
have partial indexes, and the planner uses it for the backlog's `status IN (...)`."""

from django.db import migrations

UNFINISHED = "'READY', 'RUNNING', 'FAILED'"


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX analytics_unfinished_deliveries "
                "ON django_tasks_database_dbtaskresult (status) "
                f"WHERE status IN ({UNFINISHED})"
            ),
            reverse_sql="DROP INDEX analytics_unfinished_deliveries",
        ),
    ]
