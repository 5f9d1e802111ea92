import json as jsonlib

from django.core.management.base import BaseCommand, CommandError

from events.ops.console import ProgressBar
from events.ops.prune import DEFAULT_BATCH_SIZE, prune, prune_counts, prune_cutoff


class Command(BaseCommand):
    help = (
        "Delete finished deliveries and task results older than --older-than days, a small "
        "batch per transaction. Never the audit trail, never the receipts; dead deliveries "
        "only with --include-failed."
    )

    changes_data = True

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than", type=int, required=True, metavar="DAYS", help="Finished before."
        )
        parser.add_argument(
            "--include-failed", action="store_true", help="Dead deliveries and failed tasks too."
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(
        self, *, older_than, include_failed, batch_size, dry_run, json: bool, **options
    ) -> None:
        if older_than < 0:
            raise CommandError("--older-than is a number of days, 0 or more.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        cutoff = prune_cutoff(older_than_days=older_than)
        found = prune_counts(cutoff=cutoff, include_failed=include_failed)
        result = found
        if found.total and not dry_run:
            bar = ProgressBar(self.stdout, total=found.total, label="Pruning", enabled=not json)
            result = prune(
                cutoff=cutoff,
                include_failed=include_failed,
                batch_size=batch_size,
                progress=bar.update,
            )
            bar.close()
        if json:
            payload = result.as_dict() | {"dry_run": dry_run}
            self.stdout.write(jsonlib.dumps(payload, indent=2))
            return
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {result.deliveries} deliveries and {result.task_results} task results "
            f"finished before {cutoff:%Y-%m-%d %H:%M} UTC."
        )
