import json as jsonlib
import logging
import os
import signal
import subprocess
import sys
import time
from contextlib import nullcontext, redirect_stdout
from types import FrameType

from django.conf import settings
from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from events.outbox import delivery_backlog
from events.worker import EventWorker, WorkerInterrupted, worker_started, worker_stopped

logger = logging.getLogger("events.worker")

# A child that exits on its own (not asked to) is started again after this long.
RESTART_DELAY_SECONDS = 1.0
# make forwards the signal it got from the process group (issue 21): a second signal this
# soon after the first is the same request, not a second one.
SAME_SIGNAL_SECONDS = 1.0


class Command(db_worker.Command):
    help = (
        "Run the background worker: event deliveries with retries, dead-lettering and leases; "
        "WORKER_PROCESSES=N runs N worker processes. --dry-run counts what it would run now "
        "and claims nothing; --json prints a summary when it stops (its log goes to stderr)."
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
        processes = settings.WORKER_PROCESSES
        if processes > 1 and not (options["batch"] or dry_run) and options["max_tasks"] is None:
            sys.exit(supervise(processes, options["worker_id"]))
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
        worker_started.send(sender=EventWorker, batch=options["batch"])
        # With --json, whatever the deliveries print (the console email backend) goes to
        # stderr: stdout holds the summary alone.
        try:
            with redirect_stdout(sys.stderr) if json else nullcontext():
                worker.run()
        except WorkerInterrupted:
            logger.warning("Event worker stopped: exit status 1 (a delivery was interrupted).")
            raise
        finally:
            worker_stopped.send(sender=EventWorker, batch=options["batch"])
        logger.info("Event worker stopped: exit status 0.")
        if json:
            summary = {
                "dry_run": False,
                "worker_id": worker.worker_id,
                "run": worker._run_tasks,
                "backlog": delivery_backlog(),
            }
            self.stdout.write(jsonlib.dumps(summary, indent=2))


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM when the supervisor dies (killed with SIGKILL, say), so
    no worker outlives it unsupervised; its deliveries' leases do the rest."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def supervise(processes: int, worker_id: str) -> int:
    """Run `processes` workers (this command again, WORKER_PROCESSES=1), each in a session of
    its own so that a signal to our process group reaches this process only: it passes each
    stop request on once (the first: finish the delivery in hand; the second: interrupt it),
    starts again a child that exits unasked, and exits with the worst child's status."""
    argv = [arg for arg in sys.argv if not arg.startswith("--worker-id")]
    env = os.environ | {"WORKER_PROCESSES": "1"}
    children: dict[int, subprocess.Popen] = {}
    requests: list[float] = []

    def start(index: int) -> None:
        command = [sys.executable, *argv, "--worker-id", f"{worker_id[:56]}-{index}"]
        child = children[index] = subprocess.Popen(
            command, env=env, start_new_session=True, preexec_fn=_die_with_parent
        )
        if requests:
            # A stop request came while it was starting (the handler below ran before it was
            # in `children`): it is told too, or it would run on unsupervised.
            child.send_signal(signal.SIGTERM)

    def stop(signum: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if requests and now - requests[-1] < SAME_SIGNAL_SECONDS:
            return
        requests.append(now)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(signum, stop)
    for index in range(processes):
        start(index)
    logger.info("Started %d worker processes", processes)
    status = 0
    try:
        while children:
            time.sleep(0.2)
            for index, child in list(children.items()):
                code = child.poll()
                if code is None:
                    continue
                del children[index]
                status = max(status, code)
                if not requests:
                    logger.error("Worker process %d exited (%s); starting it again.", index, code)
                    time.sleep(RESTART_DELAY_SECONDS)
                    start(index)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.kill()
                child.wait()
    return status
