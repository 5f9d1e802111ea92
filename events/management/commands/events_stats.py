import json

from django.core.management.base import BaseCommand

from events.ops.stats import event_stats


class Command(BaseCommand):
    help = "Events published per type, background handler outcomes, pending and dead deliveries."

    changes_data = False
    # An operator's look at the queue, often during an incident: it answers in under a
    # second with 100,000 deliveries queued, and Django's system checks (0.11 s of it) are
    # `manage.py check`'s job, not this read's.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, **options) -> None:
        stats = event_stats()
        if options["json"]:
            self.stdout.write(json.dumps(stats, indent=2, sort_keys=True))
            return
        self.stdout.write("Published events")
        for type_name, count in stats["published"].items():
            self.stdout.write(f"  {count:>8}  {type_name}")
        self.stdout.write("Background handlers (handled / pending / retrying / running / dead)")
        for handler, outcome in stats["handlers"].items():
            counts = " / ".join(
                str(outcome[key]) for key in ("handled", "pending", "retrying", "running", "dead")
            )
            self.stdout.write(f"  {handler}: {counts}")
        backlog = stats["deliveries"]
        self.stdout.write(
            f"Deliveries: {backlog['pending']} pending, {backlog['running']} running, "
            f"{backlog['dead']} dead"
        )
