import json as jsonlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from events.system.webhooks.services import prune, prune_counts, prune_cutoff


class Command(BaseCommand):
    help = (
        "Delete webhook attempts older than the retention (WEBHOOKS_RETENTION_DAYS, or "
        "--older-than DAYS) and deliveries that finished (delivered or dead) before it, a "
        "batch per transaction. Pending deliveries stay."
    )

    changes_data = True

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", type=int, default=None, metavar="DAYS")
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *, older_than, dry_run: bool, json: bool, **options) -> None:
        days = settings.WEBHOOKS_RETENTION_DAYS if older_than is None else older_than
        if days < 0:
            raise CommandError("--older-than is a number of days, 0 or more.")
        cutoff = prune_cutoff(days)
        counts = prune_counts(cutoff) if dry_run else prune(cutoff)
        if json:
            self.stdout.write(
                jsonlib.dumps({"cutoff": cutoff.isoformat(), **counts, "dry_run": dry_run})
            )
            return
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {counts['attempts']} attempts and {counts['deliveries']} finished "
            f"deliveries from before {cutoff:%Y-%m-%d %H:%M} UTC."
        )
