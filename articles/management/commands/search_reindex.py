import json as jsonlib

from django.core.management.base import BaseCommand

from articles.models import Article
from articles.search import REBUILD_BATCH, search_index_rebuild, search_index_size
from events.core.operations import bulk_operation

PROGRESS_EVERY = 100_000


class Command(BaseCommand):
    help = (
        "Rebuild the full-text index of articles from their rows: every article's entry is "
        "written again through the function the worker's search handler runs (a batch per "
        "transaction), entries of articles that no longer exist are dropped, and the words are "
        "counted again. Safe while the API and the worker run. --if-empty does nothing when "
        "the index holds entries."
    )

    changes_data = True

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=REBUILD_BATCH)
        parser.add_argument(
            "--if-empty", action="store_true", help="Only when the index holds no entry."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be indexed, write nothing."
        )
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(
        self, *args, batch_size: int, if_empty: bool, dry_run: bool, json: bool, **options
    ) -> None:
        before = search_index_size()
        skipped = bool(if_empty and before)
        if skipped or dry_run:
            refreshed = 0
        else:
            self._next_report = PROGRESS_EVERY
            with bulk_operation("articles.search_reindex") as operation:
                refreshed = search_index_rebuild(batch_size=batch_size, progress=self._progress)
                operation.done(refreshed)
        if json:
            payload = {
                "dry_run": dry_run,
                "skipped": skipped,  # --if-empty and the index holds entries
                "articles": Article.objects.count(),
                "indexed": refreshed,
                "entries_before": before,
                "entries": search_index_size(),
            }
            self.stdout.write(jsonlib.dumps(payload, indent=2))
        elif skipped:
            self.stdout.write("The search index holds entries already; nothing rebuilt.")
        elif dry_run:
            self.stdout.write(
                f"Would index {Article.objects.count()} articles; the index holds {before} entries."
            )
        else:
            self.stdout.write(
                f"Indexed {refreshed} articles; the index holds {search_index_size()} entries "
                "(hidden articles are left out)."
            )

    def _progress(self, refreshed: int) -> None:
        # Progress goes to stderr: stdout is the result (one JSON document with --json).
        if refreshed >= self._next_report:
            self.stderr.write(f"  {refreshed:,} articles ...")
            self._next_report = (refreshed // PROGRESS_EVERY + 1) * PROGRESS_EVERY
