"""INSERT unless the row is there already, in one statement and without a savepoint.

The usual way to let a unique index settle a race is a savepoint around the INSERT and an
IntegrityError caught after it: three statements (SAVEPOINT, INSERT, RELEASE) where one
would do. `insert_new` asks the database to skip a row whose unique key is taken
(`INSERT … ON CONFLICT DO NOTHING RETURNING …` on PostgreSQL, `INSERT OR IGNORE … RETURNING …`
on SQLite) and reads back the rows it did insert. On PostgreSQL an INSERT that meets a row
another transaction is inserting waits for that transaction: if it commits, the row is
skipped here; if it rolls back, the row is inserted here. So two racing writers of one key
each learn exactly whether theirs is the row, and nothing is left to roll back.

It is the ORM's own INSERT (`Model.save` calls the same `_insert`), so field defaults and
conversions apply; like `bulk_create`, it sends no model signal.
"""

from collections.abc import Sequence

from django.db import models
from django.db.models.constants import OnConflict


def insert_new[M: models.Model](instances: Sequence[M], *, key: str = "") -> list[M]:
    """INSERT the new (unsaved) `instances` in one statement, skipping each whose unique
    constraint is held by a row already there; returns those inserted, their primary keys
    set. Several instances need `key`, a unique field, to tell which were inserted. (SQLite
    skips a row that breaks a NOT NULL or CHECK constraint too: a caller that can meet one
    checks why its row was skipped.)"""
    if not instances:
        return []
    if len(instances) > 1 and not key:
        raise ValueError("insert_new needs a unique `key` field for more than one instance.")
    model = type(instances[0])
    meta = model._meta
    fields = [
        field
        for field in meta.local_concrete_fields
        if not field.generated and field is not meta.auto_field
    ]
    returning = list(meta.db_returning_fields)
    if key:
        returning.append(meta.get_field(key))
    rows = model._base_manager._insert(
        instances, fields=fields, returning_fields=returning, on_conflict=OnConflict.IGNORE
    )
    by_key = {getattr(instance, key): instance for instance in instances} if key else {}
    inserted = []
    for row in rows:
        instance = by_key[row[-1]] if key else instances[0]
        for value, field in zip(row, meta.db_returning_fields, strict=False):
            setattr(instance, field.attname, value)
        instance._state.adding = False
        instance._state.db = model._base_manager.db
        inserted.append(instance)
    return inserted
