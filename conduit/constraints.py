"""What an IntegrityError says about the constraint it broke: its kind, its name and its
table, read from PostgreSQL's diagnostics or SQLite's message, never the row's values (which
PostgreSQL's message quotes). The API's exception handler (conduit/errors.py) answers with
it, and hangs it on its response for the event system to tell (events/middleware.py): conduit
names no system event."""

import re
from functools import cache
from typing import NamedTuple

from django.apps import apps
from django.db import IntegrityError, models

# PostgreSQL's SQLSTATE classes of integrity constraint violation.
_PG_KINDS = {"23505": "unique", "23514": "check", "23503": "foreign_key", "23502": "not_null"}
_SQLITE = re.compile(r"^(UNIQUE|CHECK|NOT NULL|FOREIGN KEY) constraint failed(?:: (.*))?$")
_SQLITE_KINDS = {"UNIQUE": "unique", "CHECK": "check", "NOT NULL": "not_null"}


class ConstraintViolation(NamedTuple):
    kind: str  # "unique", "check", "foreign_key", "not_null" or "other"
    constraint: str  # its name in the schema, "" when the database does not say
    table: str
    field: str  # the model field, when the constraint is on exactly one; else ""


def constraint_violation(exc: IntegrityError) -> ConstraintViolation:
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg)
        kind = _PG_KINDS.get(getattr(exc.__cause__, "sqlstate", None) or "", "other")
        constraint, table = diag.constraint_name or "", diag.table_name or ""
        if kind == "not_null":
            return ConstraintViolation(kind, diag.column_name or "", table, "")
        return ConstraintViolation(kind, constraint, table, _field_of(constraint, table))
    return _from_sqlite_message(str(exc))


def _from_sqlite_message(message: str) -> ConstraintViolation:
    match = _SQLITE.match(message.strip())
    if match is None or match[1] == "FOREIGN KEY":
        return ConstraintViolation("foreign_key" if match else "other", "", "", "")
    kind, detail = _SQLITE_KINDS[match[1]], (match[2] or "").strip()
    if kind == "check":
        table = _constraints().get(detail, ("", ""))[0]
        return ConstraintViolation(kind, detail, table, "")
    if detail.startswith("index "):  # a unique index on an expression: "index 'name'"
        name = detail.removeprefix("index ").strip("'\"")
        table, field = _constraints().get(name, ("", ""))
        return ConstraintViolation(kind, name, table, field)
    # "table.column[, table.column ...]"
    columns = [part.strip().split(".", 1) for part in detail.split(",")]
    table = columns[0][0] if columns and len(columns[0]) == 2 else ""
    names = [column[-1] for column in columns]
    if kind == "not_null":
        return ConstraintViolation(kind, names[0] if names else "", table, "")
    constraint = _unique_by_columns().get((table, tuple(sorted(names))), "")
    return ConstraintViolation(kind, constraint, table, _field_of(constraint, table))


def _field_of(constraint: str, table: str) -> str:
    return _constraints().get(constraint, (table, ""))[1]


@cache
def _constraints() -> dict[str, tuple[str, str]]:
    """Every named constraint of the installed models: name -> (table, its one field or "").
    A field's own `unique=True` is named as PostgreSQL names it: <table>_<column>_key."""
    named: dict[str, tuple[str, str]] = {}
    for model in apps.get_models():
        table = model._meta.db_table
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key:
                # A derived field may name the field its clients know (`reported_as`).
                named[f"{table}_{field.column}_key"] = (
                    table,
                    getattr(field, "reported_as", field.name),
                )
        for constraint in model._meta.constraints:
            fields = list(getattr(constraint, "fields", ()))
            if not fields and isinstance(constraint, models.UniqueConstraint):
                # An expression, such as Lower("email"): the field it reads.
                fields = sorted(
                    {ref for expr in constraint.expressions for ref in _field_refs(expr)}
                )
            field_name = fields[0] if len(fields) == 1 else ""
            if field_name:
                field_name = getattr(model._meta.get_field(field_name), "reported_as", field_name)
            named[constraint.name] = (table, field_name)
    return named


@cache
def _unique_by_columns() -> dict[tuple[str, tuple[str, ...]], str]:
    """(table, sorted columns) -> the name of the unique constraint on exactly those."""
    found: dict[tuple[str, tuple[str, ...]], str] = {}
    for model in apps.get_models():
        table, meta = model._meta.db_table, model._meta
        for field in meta.local_fields:
            if field.unique and not field.primary_key:
                found[(table, (field.column,))] = f"{table}_{field.column}_key"
        for constraint in meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
                columns = tuple(sorted(meta.get_field(name).column for name in constraint.fields))
                found[(table, columns)] = constraint.name
    return found


def _field_refs(expression: object) -> list[str]:
    if isinstance(expression, models.F):
        return [expression.name]
    sources = getattr(expression, "get_source_expressions", list)()
    return [ref for source in sources for ref in _field_refs(source)]
