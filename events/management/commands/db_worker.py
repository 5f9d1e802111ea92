import logging

from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker

from events.worker import EventWorker, WorkerInterrupted

logger = logging.getLogger("events.worker")


class Command(db_worker.Command):
    help = "Run the background worker: event deliveries with retries, dead-lettering and leases."

    def handle(self, *, verbosity: int, queue_name: str, exclude_queues: str, **options) -> None:
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
        # No autoreload: a reload would kill a delivery mid-run (the lease would recover it,
        # but only after EVENTS_LEASE_SECONDS).
        worker.configure_signals()
        try:
            worker.run()
        except WorkerInterrupted:
            logger.warning("Event worker stopped: exit status 1 (a delivery was interrupted).")
            raise
        logger.info("Event worker stopped: exit status 0.")
