"""PostgreSQL: a commit that inserted delivery rows sends NOTIFY conduit_deliveries, which
wakes an idle worker at once (events/worker.py). Once per statement, not per row; NOTIFYs of
one transaction are folded into one. Other databases: nothing (the worker polls)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION conduit_notify_deliveries() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('conduit_deliveries', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER conduit_notify_deliveries
    AFTER INSERT ON django_tasks_database_dbtaskresult
    FOR EACH STATEMENT EXECUTE FUNCTION conduit_notify_deliveries();
"""
DROP = """
DROP TRIGGER IF EXISTS conduit_notify_deliveries ON django_tasks_database_dbtaskresult;
DROP FUNCTION IF EXISTS conduit_notify_deliveries();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("events", "0005_verbose_names"),
    ]

    operations = [migrations.RunPython(create, drop)]
