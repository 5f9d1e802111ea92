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
from functools import cache, lru_cache

from django.db import connections, models, router
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


def insert_rows(instances: Sequence[models.Model]) -> None:
    """INSERT new instances of one model in one plain statement, `INSERT … VALUES (…), (…)`.

    `bulk_create` compiles its statement on every call and, on PostgreSQL, sends each column as
    an array (`UNNEST`) that psycopg builds in Python: for the few rows of a write (its audit
    records, their deliveries, an article's tag links) that was most of their cost. Here the
    statement is built once per model and row count, and each value is converted by its
    field, as `Model.save` does (`pre_save`, then `get_db_prep_save`). For rows whose primary
    key the caller sets or never reads back (an auto-incremented key is left to the
    database); no model signal is sent, as with `bulk_create`."""
    if not instances:
        return
    model = type(instances[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = _insert_fields(model)
    size = max(1, connection.ops.bulk_batch_size(fields, instances))
    with connection.cursor() as cursor:
        for start in range(0, len(instances), size):
            batch = instances[start : start + size]
            params = [
                field.get_db_prep_save(field.pre_save(instance, True), connection)
                for instance in batch
                for field in fields
            ]
            cursor.execute(_insert_statement(model, len(batch), alias), params)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = alias


@cache
def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    meta = model._meta
    fields = [
        field
        for field in meta.local_concrete_fields
        if not field.generated and field is not meta.auto_field
    ]
    special = [field.name for field in fields if hasattr(field, "get_placeholder_sql")]
    if special:  # binary, array, range and geometry columns need the compiler's placeholders
        raise TypeError(f"insert_rows cannot write {model.__name__}.{', '.join(special)}.")
    return fields


@lru_cache(maxsize=256)
def _insert_statement(model: type[models.Model], count: int, alias: str) -> str:
    """The statement for `count` rows (`insert_rows` batches as `bulk_create` does)."""
    fields = _insert_fields(model)
    quote = connections[alias].ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join([row] * count)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {values}"
