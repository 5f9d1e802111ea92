"""Inserts of a write's few rows, each in one statement built once.

`insert_new`: INSERT unless the row is there already, in one statement and without a
savepoint. The usual way to let a unique index settle a race is a savepoint around the INSERT
and an IntegrityError caught after it: three statements (SAVEPOINT, INSERT, RELEASE) where
one would do. `insert_new` asks the database to skip a row whose unique key is taken
(`INSERT … ON CONFLICT DO NOTHING RETURNING …` on PostgreSQL, `INSERT OR IGNORE … RETURNING …`
on SQLite) and reads back the rows it did insert. On PostgreSQL an INSERT that meets a row
another transaction is inserting waits for that transaction: if it commits, the row is
skipped here; if it rolls back, the row is inserted here. So two racing writers of one key
each learn exactly whether theirs is the row, and nothing is left to roll back.

`insert_rows`: new rows nothing can conflict with (audit records, deliveries, tag links), on
PostgreSQL several models' in one statement. `insert_records` is the same for rows given as
their columns' values (`insert_values`), for the writes that make many alike rows from one
made once (a commit's deliveries).

Both convert each value with its field, as `Model.save` does, and send no model signal, as
`bulk_create` does.
"""

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
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
    returning = (*meta.db_returning_fields, *([meta.get_field(key)] if key else []))
    alias = router.db_for_write(model)
    connection = connections[alias]
    count = _ANY_COUNT if connection.vendor == "postgresql" else len(instances)
    sql = _statement(((model, count),), alias, tuple(returning))
    with connection.cursor() as cursor:
        cursor.execute(sql, _params((instances,), connection))
        rows = cursor.fetchall()
    by_key = {getattr(instance, key): instance for instance in instances} if key else {}
    inserted = []
    for row in rows:
        instance = by_key[row[-1]] if key else instances[0]
        for value, field in zip(row, meta.db_returning_fields, strict=False):
            setattr(instance, field.attname, value)
        instance._state.adding = False
        instance._state.db = alias
        inserted.append(instance)
    return inserted


def insert_rows(*groups: Sequence[models.Model]) -> None:
    """INSERT new instances, each group of one model (rows nothing can conflict with: audit
    records and their deliveries, an article's tag links). For rows whose primary key the
    caller sets or never reads back (an auto-incremented key is left to the database). On
    PostgreSQL every group goes in one statement (one round trip); elsewhere one statement
    per group, in batches as `bulk_create` makes them."""
    groups = tuple(group for group in groups if group)
    if not groups:
        return
    insert_records(*((type(group[0]), _records(group)) for group in groups))
    alias = router.db_for_write(type(groups[0][0]))
    for group in groups:
        for instance in group:
            instance._state.adding = False
            instance._state.db = alias


Records = tuple[type[models.Model], Sequence[dict[str, Any]]]


def insert_records(*groups: Records) -> None:
    """`insert_rows` for rows given as (model, each row's `insert_values`)."""
    groups = tuple((model, records) for model, records in groups if records)
    if not groups:
        return
    alias = router.db_for_write(groups[0][0])
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            shape = tuple((model, _ANY_COUNT) for model, _ in groups)
            params = [json.dumps(records, default=_json_value) for _, records in groups]
            cursor.execute(_statement(shape, alias), params)
            return
        for model, records in groups:
            fields = _insert_fields(model)
            size = max(1, connection.ops.bulk_batch_size(fields, records))
            for start in range(0, len(records), size):
                batch = records[start : start + size]
                params = [
                    field.get_db_prep_save(record[field.column], connection)
                    for record in batch
                    for field in fields
                ]
                cursor.execute(_statement(((model, len(batch)),), alias), params)


def insert_values(instance: models.Model) -> dict[str, Any]:
    """The values an INSERT of the (unsaved) instance writes, by column, as `Model.save`
    makes them (`pre_save`, then `get_prep_value`)."""
    return _records([instance])[0]


# The statements. `bulk_create` and `Model.save` compile theirs on every call, and on
# PostgreSQL `bulk_create` sends each column as an array that psycopg builds in Python: for
# the few rows of a write that was most of their cost, and so was psycopg's own work on a
# statement of a hundred parameters (it parses such a statement again on every call, and
# quotes each value in Python). So a statement here is built once per shape (models and row
# counts), and on PostgreSQL each model's rows go as one parameter, a JSON document read by
# `jsonb_to_recordset`: a new article's 3 audit records and 6 deliveries took 0.8 ms of CPU
# where bulk_create took 1.5. Each value is what its field makes of it, as `Model.save` does
# (`pre_save`, then `get_prep_value`; elsewhere `get_db_prep_save`).


def _params(groups: Sequence[Sequence[models.Model]], connection: BaseDatabaseWrapper) -> list[Any]:
    if connection.vendor == "postgresql":
        return [json.dumps(_records(group), default=_json_value) for group in groups]
    params = []
    for group in groups:
        fields = _insert_fields(type(group[0]))
        params += [
            field.get_db_prep_save(field.pre_save(instance, True), connection)
            for instance in group
            for field in fields
        ]
    return params


def _records(instances: Sequence[models.Model]) -> list[dict[str, Any]]:
    fields = _insert_fields(type(instances[0]))
    return [
        {field.column: field.get_prep_value(field.pre_save(instance, True)) for field in fields}
        for instance in instances
    ]


def _json_value(value: Any) -> Any:
    """What PostgreSQL reads back as the value: a moment with its microseconds and offset, a
    UUID or a decimal as text."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"conduit.inserts cannot send {type(value).__name__} values.")


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
        raise TypeError(f"conduit.inserts cannot write {model.__name__}.{', '.join(special)}.")
    return fields


# PostgreSQL's statement reads its rows from a JSON document, whatever their number: one
# statement per models, not per row count.
_ANY_COUNT = 0


@lru_cache(maxsize=256)
def _statement(
    shape: tuple[tuple[type[models.Model], int], ...],
    alias: str,
    returning: tuple[models.Field, ...] = (),
) -> str:
    """One INSERT per (model, row count), the first ones as the WITH clauses of the last (on
    PostgreSQL). With `returning`: the rows whose unique key is free, and those columns."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    inserts = []
    for model, count in shape:
        fields = _insert_fields(model)
        columns = ", ".join(quote(field.column) for field in fields)
        table = f"{quote(model._meta.db_table)} ({columns})"
        if connection.vendor == "postgresql":
            types = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
            rows = f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS row({types})"
        else:
            row = f"({', '.join(['%s'] * len(fields))})"
            rows = f"VALUES {', '.join([row] * count)}"
        inserts.append((table, rows))
    if returning:
        [(table, rows)] = inserts
        insert = connection.ops.insert_statement(on_conflict=OnConflict.IGNORE)
        conflict = connection.ops.on_conflict_suffix_sql([], OnConflict.IGNORE, None, None)
        columns = ", ".join(quote(field.column) for field in returning)
        return f"{insert} {table} {rows} {conflict} RETURNING {columns}"
    *first, last = [f"INSERT INTO {table} {rows}" for table, rows in inserts]
    if not first:
        return last
    clauses = ", ".join(f"inserted_{n} AS ({sql})" for n, sql in enumerate(first))
    return f"WITH {clauses} {last}"
