from django.core.management.base import BaseCommand

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

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=REBUILD_BATCH)
        parser.add_argument(
            "--if-empty", action="store_true", help="Only when the index holds no entry."
        )

    def handle(self, *args, batch_size: int, if_empty: bool, **options) -> None:
        if if_empty and search_index_size():
            self.stdout.write("The search index holds entries already; nothing rebuilt.")
            return
        self._next_report = PROGRESS_EVERY
        with bulk_operation("articles.search_reindex") as operation:
            refreshed = search_index_rebuild(batch_size=batch_size, progress=self._progress)
            operation.done(refreshed)
        self.stdout.write(
            f"Indexed {refreshed} articles; the index holds {search_index_size()} entries "
            "(hidden articles are left out)."
        )

    def _progress(self, refreshed: int) -> None:
        if refreshed >= self._next_report:
            self.stdout.write(f"  {refreshed:,} articles ...")
            self._next_report = (refreshed // PROGRESS_EVERY + 1) * PROGRESS_EVERY
