"""Migration operations for what only one database vendor has (a tsvector column with a GIN
index on PostgreSQL, an FTS5 table on SQLite), in migrations that run on both."""

from typing import Any

from django.db.migrations.operations.base import Operation


class ForVendor(Operation):
    """Wraps `operation` so that it changes the database only on `vendor` ("postgresql",
    "sqlite"). The migration state always changes, so every vendor knows the same models and
    `makemigrations` sees no difference between them."""

    def __init__(self, vendor: str, operation: Operation) -> None:
        self.vendor = vendor
        self.operation = operation

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (f"{__name__}.{type(self).__qualname__}", [self.vendor, self.operation], {})

    @property
    def reversible(self) -> bool:  # type: ignore[override]
        return self.operation.reversible

    def state_forwards(self, app_label: str, state: Any) -> None:
        self.operation.state_forwards(app_label, state)

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == self.vendor:
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == self.vendor:
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"{self.operation.describe()} (on {self.vendor} only)"

    @property
    def migration_name_fragment(self) -> str | None:
        return self.operation.migration_name_fragment
