from django.core.management.base import BaseCommand

from articles.selectors import article_counters_snapshot
from articles.services import article_counters_rebuild


class Command(BaseCommand):
    help = (
        "Recount the counters article lists read (articlesCount per tag, author, reader and in "
        "all; favoritesCount per article) from the rows. Run after bulk loads or to repair "
        "drift; --dry-run reports which counters are off."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report drift, change nothing.")

    def handle(self, *args, dry_run: bool, **options) -> None:
        before = article_counters_snapshot()
        if dry_run:
            with_recount = _recounted_snapshot()
        else:
            article_counters_rebuild()
            with_recount = article_counters_snapshot()
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
        article_counters_rebuild()
        snapshot = article_counters_snapshot()
        transaction.set_rollback(True)
    return snapshot
