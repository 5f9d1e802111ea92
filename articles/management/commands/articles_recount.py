from django.core.management.base import BaseCommand

from articles.counters import counters_rebuild, counters_snapshot


class Command(BaseCommand):
    help = (
        "Recount the counters article lists read (articlesCount per tag, author, reader and in "
        "all; favoritesCount per article) from the rows. Run after bulk loads or to repair "
        "drift; --dry-run reports which counters are off."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report drift, change nothing.")

    def handle(self, *args, dry_run: bool, **options) -> None:
        before = counters_snapshot()
        if dry_run:
            with_recount = _recounted_snapshot()
        else:
            counters_rebuild()
            with_recount = counters_snapshot()
        drift = {
            key: (before.get(key, 0), value)
            for key, value in with_recount.items()
            if before.get(key, 0) != value
        }
        for key, (old, new) in sorted(drift.items()):
            self.stdout.write(f"{key}: {old} -> {new}")
        verb = "would be corrected" if dry_run else "corrected"
        self.stdout.write(f"{len(drift)} counters {verb}.")


def _recounted_snapshot() -> dict[str, int]:
    from django.db import transaction

    with transaction.atomic():
        counters_rebuild()
        snapshot = counters_snapshot()
        transaction.set_rollback(True)
    return snapshot
