import json as jsonlib

from django.core.management.base import BaseCommand
from django.db import transaction

from articles.counters import counters_rebuild, counters_snapshot
from events.core.operations import bulk_operation
from events.core.unit_of_work import unit_of_work


class Command(BaseCommand):
    help = (
        "Recount the counters article lists read (articlesCount per tag, author, reader and in "
        "all; favoritesCount per article) from the rows. Run after bulk loads or to repair "
        "drift; --dry-run reports which counters are off."
    )

    changes_data = True

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report drift, change nothing.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, dry_run: bool, json: bool, **options) -> None:
        drift = _recount(dry_run=dry_run)
        if json:
            payload = {
                "dry_run": dry_run,
                "corrected": 0 if dry_run else len(drift),
                "drift": {
                    key: {"was": old, "is": new} for key, (old, new) in sorted(drift.items())
                },
            }
            self.stdout.write(jsonlib.dumps(payload, indent=2))
            return
        for key, (old, new) in sorted(drift.items()):
            self.stdout.write(f"{key}: {old} -> {new}")
        verb = "would be corrected" if dry_run else "corrected"
        self.stdout.write(f"{len(drift)} counters {verb}.")


def _recount(*, dry_run: bool) -> dict[str, tuple[int, int]]:
    """The counters that were off, before -> after the recount; a dry run rolls it back. A
    real one that corrected any is one bulk operation (BulkOperationCompleted)."""
    with unit_of_work(), bulk_operation("articles.recount") as operation:
        before = counters_snapshot()
        counters_rebuild()
        after = counters_snapshot()
        drift = {
            key: (before.get(key, 0), after.get(key, 0))
            for key in before.keys() | after.keys()
            if before.get(key, 0) != after.get(key, 0)
        }
        if dry_run:
            transaction.set_rollback(True)
        else:
            operation.done(len(drift))
    return drift
