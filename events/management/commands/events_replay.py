import json as jsonlib
from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.module_loading import import_string

from events.core.event import EventRegistryError, event_type
from events.ops.console import ProgressBar
from events.ops.replay import replay_enqueue, replay_plan, subscribed_event_types


class Command(BaseCommand):
    help = (
        "Deliver stored events again, in the order they happened, to one handler through the "
        "worker: how a receiver added later is backfilled. Events the handler has handled "
        "(its receipts) or is about to are left out, so a second run queues nothing."
    )

    changes_data = True

    def add_arguments(self, parser) -> None:
        parser.add_argument("--handler", required=True, help="The handler's dotted path.")
        parser.add_argument(
            "--type",
            dest="event_types",
            action="append",
            help="Only events of this type (repeatable); default: the types it is wired to.",
        )
        parser.add_argument("--since", help="Only events at or after this ISO 8601 date/time.")
        parser.add_argument("--until", help="Only events before this ISO 8601 date/time.")
        parser.add_argument("--dry-run", action="store_true", help="Count, queue nothing.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *, handler, event_types, since, until, dry_run, json: bool, **options):
        _check_handler(handler)
        types = _types(handler, event_types)
        since_at, until_at = _moment("--since", since), _moment("--until", until)
        if since_at and until_at and since_at >= until_at:
            raise CommandError("--since must come before --until.")
        plan = replay_plan(handler=handler, types=types, since=since_at, until=until_at)
        queued = 0
        if plan.to_queue and not dry_run:
            bar = ProgressBar(
                self.stdout, total=len(plan.to_queue), label="Queueing", enabled=not json
            )
            queued = replay_enqueue(plan, progress=bar.update)
            bar.close()
        if json:
            result = plan.as_dict() | {"dry_run": dry_run, "queued": queued}
            self.stdout.write(jsonlib.dumps(result, indent=2))
            return
        self.stdout.write(f"Replay to {handler} of {', '.join(types)}")
        self.stdout.write(
            f"  {plan.matched} events matched: {plan.handled} already handled, "
            f"{plan.waiting} already waiting, {plan.dead} dead (events_retry hands those back)"
        )
        if not plan.to_queue:
            self.stdout.write("Nothing to replay.")
        elif dry_run:
            self.stdout.write(f"Would queue {len(plan.to_queue)} deliveries.")
        else:
            self.stdout.write(
                f"Queued {queued} deliveries; the worker runs them in order, after any live "
                "delivery (events_stats shows how far it is)."
            )


def _check_handler(path: str) -> None:
    try:
        handler = import_string(path)
    except ImportError as exc:
        raise CommandError(f"--handler {path!r} cannot be imported: {exc}") from None
    if not callable(handler):
        raise CommandError(f"--handler {path!r} is not a function.")


def _types(handler: str, requested: list[str] | None) -> list[str]:
    if not requested:
        types = list(subscribed_event_types(handler))
        if not types:
            raise CommandError(
                f"{handler} is wired to no event type; name the types to replay with --type."
            )
        return types
    for name in requested:
        try:
            event_type(name)
        except EventRegistryError as exc:
            raise CommandError(str(exc)) from None
    return list(dict.fromkeys(requested))


def _moment(option: str, value: str | None) -> datetime | None:
    """An ISO 8601 date-time (UTC unless it says), or a date (its midnight, UTC)."""
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:  # well-formed, but no such day or time
        moment = None
    if moment is None:
        raise CommandError(f"{option} {value!r} is not an ISO 8601 date or date-time.")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
