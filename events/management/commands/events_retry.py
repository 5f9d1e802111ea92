import json as jsonlib

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from events.ops.redelivery import deliveries_retry, failed_deliveries


class Command(BaseCommand):
    help = "Hand dead or failed event deliveries back to the worker, with a fresh set of attempts."

    changes_data = True

    def add_arguments(self, parser) -> None:
        parser.add_argument("--handler", help="Only handlers whose dotted path contains this.")
        parser.add_argument("--type", dest="event_type", help="Only events of this type name.")
        parser.add_argument("--since", help="Only deliveries that failed at or after (ISO 8601).")
        parser.add_argument("--dry-run", action="store_true", help="List, change nothing.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *, handler, event_type, since, dry_run, json: bool, **options) -> None:
        since_at = None
        if since:
            since_at = parse_datetime(since)
            if since_at is None:
                raise CommandError(f"--since {since!r} is not an ISO 8601 date-time.")
        rows = failed_deliveries(handler=handler, event_type=event_type, since=since_at)
        retried = 0 if dry_run else deliveries_retry(rows)
        listed = [
            {
                "delivery_id": str(row.pk),
                "event_id": row.args_kwargs["args"][0],
                "handler": row.args_kwargs["args"][1],
                "error": row.exception_class_path,
            }
            for row in rows
        ]
        if json:
            payload = {"dry_run": dry_run, "retried": retried, "deliveries": listed}
            self.stdout.write(jsonlib.dumps(payload, indent=2))
            return
        for item in listed:
            self.stdout.write(f"{item['event_id']}  {item['handler']}  ({item['error']})")
        verb = "Would retry" if dry_run else "Retried"
        self.stdout.write(f"{verb} {len(rows) if dry_run else retried} deliveries.")
