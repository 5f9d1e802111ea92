import json as jsonlib
import logging
import sys
from contextlib import nullcontext, redirect_stdout

from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from events.outbox import delivery_backlog
from events.worker import EventWorker, WorkerInterrupted

logger = logging.getLogger("events.worker")


class Command(db_worker.Command):
    help = (
        "Run the background worker: event deliveries with retries, dead-lettering and leases. "
        "--dry-run counts what it would run now and claims nothing; --json prints a summary "
        "when it stops (its log goes to stderr)."
    )
    changes_data = True

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the deliveries ready now; run none."
        )
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        exclude_queues: str,
        dry_run: bool,
        json: bool,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = EventWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        if dry_run:
            ready = DBTaskResult.objects.ready().filter(backend_name=worker.backend_name)
            if not worker.process_all_queues:
                ready = ready.filter(queue_name__in=worker.queue_names)
            if excluded:
                ready = ready.exclude(queue_name__in=excluded)
            summary = {"dry_run": True, "ready": ready.count(), "backlog": delivery_backlog()}
            if json:
                self.stdout.write(jsonlib.dumps(summary, indent=2))
            else:
                self.stdout.write(f"{summary['ready']} deliveries are ready; none was run.")
            return
        # No autoreload: a reload would kill a delivery mid-run (the lease would recover it,
        # but only after EVENTS_LEASE_SECONDS).
        worker.configure_signals()
        # With --json, whatever the deliveries print (the console email backend) goes to
        # stderr: stdout holds the summary alone.
        try:
            with redirect_stdout(sys.stderr) if json else nullcontext():
                worker.run()
        except WorkerInterrupted:
            logger.warning("Event worker stopped: exit status 1 (a delivery was interrupted).")
            raise
        logger.info("Event worker stopped: exit status 0.")
        if json:
            summary = {
                "dry_run": False,
                "worker_id": worker.worker_id,
                "run": worker._run_tasks,
                "backlog": delivery_backlog(),
            }
            self.stdout.write(jsonlib.dumps(summary, indent=2))
