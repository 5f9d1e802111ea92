"""The background worker: django_tasks_db's loop, plus what a durable event bus needs.

It claims the delivery rows the outbox (events/outbox.py) wrote and runs `deliver_event`:

- A failed delivery goes back to READY with an exponential `run_after` until it has been tried
  `EVENTS_MAX_ATTEMPTS` times; then it stays FAILED (dead) for `events_retry`.
- A delivery left RUNNING longer than `EVENTS_LEASE_SECONDS` (its worker was killed) is put
  back to READY. Receipts make the second run harmless if the first one had committed.
- SIGTERM (or Ctrl-C) stops it gracefully: it claims nothing more, finishes the delivery in
  hand and exits 0. If that delivery is still running after `EVENTS_SHUTDOWN_GRACE_SECONDS`,
  or a second signal comes, the delivery is interrupted: its transaction rolls back, it goes
  back to the queue without counting as an attempt, and the worker exits 1. Signals that
  come within `REPEATED_SIGNAL_SECONDS` of the first are the same request (a `kill -TERM -PGID`
  reaches the worker and make, and make forwards it again): only a later one interrupts.
- A database that goes away (its connection ended while idle, while claiming or while a
  handler runs; a restart, a failover, a pooler's recycle) is waited for: the worker logs it,
  reconnects with a backoff from `EVENTS_RECONNECT_BASE_SECONDS` doubling up to
  `EVENTS_RECONNECT_MAX_SECONDS`, and goes on; it never exits for it. A delivery whose
  connection ended mid-run rolled back with it: it goes back to the queue without counting as
  an attempt (its receipt, had it committed, makes the next run a no-op).
"""

import logging
import signal
import time
from datetime import timedelta
from types import FrameType
from uuid import UUID

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.utils import OperationalError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from conduit.connections import CONNECTION_ERRORS, close_connections, connection_ended
from events.core import metrics
from events.outbox import DELIVER_TASK_PATH, deliveries, describe_failure

logger = logging.getLogger(__name__)

LEASE_SWEEP_INTERVAL_SECONDS = 5.0
# How often an idle worker looks up from its sleep to see whether it was asked to stop.
IDLE_SLICE_SECONDS = 0.1
# Signals within this long of the first one are that same request, delivered twice.
REPEATED_SIGNAL_SECONDS = 1.0


class WorkerInterrupted(SystemExit):
    """The delivery in hand was interrupted while the worker shut down (a second signal, or
    EVENTS_SHUTDOWN_GRACE_SECONDS ran out): it went back to the queue; the process exits 1."""

    def __init__(self) -> None:
        super().__init__(1)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th failed try: base, 2x base, 4x base ... capped."""
    seconds = settings.EVENTS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.EVENTS_RETRY_MAX_SECONDS))


def reconnect_delay(failures: int) -> float:
    """Wait after the `failures`-th failed reconnect: base, 2x base, 4x base ... capped."""
    seconds = settings.EVENTS_RECONNECT_BASE_SECONDS * 2 ** max(failures - 1, 0)
    return min(seconds, settings.EVENTS_RECONNECT_MAX_SECONDS)


def describe_error(exc: BaseException) -> str:
    """The error's first line (a driver's message runs on with details)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def requeue_expired_leases() -> int:
    """Deliveries whose worker died mid-run go back to READY."""
    expired_before = timezone.now() - timedelta(seconds=settings.EVENTS_LEASE_SECONDS)
    count = (
        deliveries()
        .filter(status=TaskResultStatus.RUNNING, started_at__lt=expired_before)
        .update(status=TaskResultStatus.READY, run_after=timezone.now())
    )
    if count:
        logger.warning("Requeued %d deliveries whose lease expired", count)
    return count


class EventWorker(Worker):
    # A worker in its own process recycles stale connections as a request would; one running
    # inside another unit of work (tests, EVENTS_DELIVER_ON_COMMIT) must leave them alone.
    manages_connections = True
    # Set once the loop has ended: a grace timer firing after that has nothing to interrupt.
    _stopped = False
    _handles_signals = False
    _stop_requested_at = 0.0
    # A delivery claimed by this worker whose connection ended mid-run: handed back once the
    # database answers again.
    _orphan: DBTaskResult | None = None

    def configure_signals(self) -> None:
        """Only `db_worker`, in its own process, handles signals (and the grace timer)."""
        super().configure_signals()
        signal.signal(signal.SIGALRM, self._grace_expired)
        self._handles_signals = True

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM, SIGINT or SIGQUIT: claim nothing more and let the delivery in hand finish
        within EVENTS_SHUTDOWN_GRACE_SECONDS (the loop then ends, and the process exits 0);
        the second signal interrupts it at once."""
        name = signal.strsignal(signum)
        if not self.running:
            if time.monotonic() - self._stop_requested_at < REPEATED_SIGNAL_SECONDS:
                logger.info("Received %s again at once: the same stop request.", name)
                return
            logger.warning("Received %s again: interrupting the delivery in hand.", name)
            raise WorkerInterrupted()
        self.running = False
        self._stop_requested_at = time.monotonic()
        grace = settings.EVENTS_SHUTDOWN_GRACE_SECONDS
        logger.warning(
            "Received %s: claiming nothing more; the delivery in hand has %ss to finish.",
            name,
            grace,
        )
        if grace > 0:
            signal.setitimer(signal.ITIMER_REAL, grace)
        elif self.running_task:
            raise WorkerInterrupted()

    def _grace_expired(self, signum: int, frame: FrameType | None) -> None:
        if self._stopped:
            return
        logger.error(
            "The delivery in hand did not finish within %ss of the shutdown: interrupting it.",
            settings.EVENTS_SHUTDOWN_GRACE_SECONDS,
        )
        raise WorkerInterrupted()

    def run(self) -> None:
        """Upstream's loop, with a lease sweep every few seconds and a graceful stop."""
        try:
            self._loop()
        finally:
            self._stopped = True
            if self._handles_signals:
                signal.setitimer(signal.ITIMER_REAL, 0)

    def _loop(self) -> None:
        logger.info("Starting event worker worker_id=%s", self.worker_id)
        self._next_sweep = 0.0
        while self.running:
            try:
                if self._iteration():
                    return
            except CONNECTION_ERRORS as exc:
                # The loop's own statements (sweep, claim): whatever stopped them, the worker
                # waits and tries again rather than exit.
                if not self.manages_connections:
                    raise
                self._reconnect(exc)

    def _iteration(self) -> bool:
        """Sweep the leases when due, claim one delivery and run it, or idle; True when the
        loop is done (--batch with nothing left, or --max-tasks reached)."""
        self._recycle_connections()
        if time.monotonic() >= self._next_sweep:
            requeue_expired_leases()
            self._next_sweep = time.monotonic() + LEASE_SWEEP_INTERVAL_SECONDS

        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)

        task_result = None
        retrieved = True
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            retrieved = False

        if task_result is not None:
            self.run_task(task_result)
        elif self.batch and retrieved:
            logger.info("No more tasks for worker_id=%s, exiting.", self.worker_id)
            return True
        if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
            return True
        self._recycle_connections()
        if self.running and task_result is None:
            self._idle(self.interval)
        return False

    def _reconnect(self, exc: BaseException) -> None:
        """The database went away: wait for it with a bounded backoff, loudly, then hand
        back the delivery it took down with it. Returns once it answers (or on a stop)."""
        lost_at = time.monotonic()
        logger.warning(
            "Lost the database connection (%s): reconnecting.",
            describe_error(exc),
            exc_info=not connection_ended(exc),  # not the usual story: the whole traceback
        )
        failures = 0
        while self.running:
            close_connections()
            try:
                connections["default"].ensure_connection()
                if not connections["default"].is_usable():
                    raise OperationalError("the new connection does not answer SELECT 1")
                if self._orphan is not None:
                    self._hand_back(self._orphan)
                    self._orphan = None
            except CONNECTION_ERRORS as error:
                failures += 1
                delay = reconnect_delay(failures)
                down = time.monotonic() - lost_at
                loud = down >= settings.EVENTS_RECONNECT_MAX_SECONDS
                (logger.error if loud else logger.warning)(
                    "The database is unreachable (%s), down for %.0fs; next try in %.1fs.",
                    describe_error(error),
                    down,
                    delay,
                )
                self._idle(delay)
                continue
            logger.warning(
                "Reconnected to the database after %.1fs; going on.", time.monotonic() - lost_at
            )
            return

    def _idle(self, seconds: float) -> None:
        """Sleep, in slices, so that a stop request ends the loop within one slice."""
        deadline = time.monotonic() + seconds
        while self.running and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, IDLE_SLICE_SECONDS))

    def _recycle_connections(self) -> None:
        if self.manages_connections:
            close_old_connections()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        if db_task_result.task_path != DELIVER_TASK_PATH:
            return super().run_task(db_task_result)
        self.running_task = True
        try:
            value = db_task_result.task.call(*db_task_result.args_kwargs["args"])
            db_task_result.set_successful(value)
        except WorkerInterrupted:
            self._hand_back(db_task_result)
            raise
        except BaseException as exc:
            if self._lost_with_connection(db_task_result, exc):
                raise
            try:
                self._delivery_failed(db_task_result, exc)
            except CONNECTION_ERRORS as error:
                self._lost_with_connection(db_task_result, error)
                raise
            if isinstance(exc, KeyboardInterrupt):
                raise
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _lost_with_connection(self, db_task_result: DBTaskResult, exc: BaseException) -> bool:
        """Whether the delivery failed because its connection ended (it rolled back with it):
        then it is handed back once the database answers again (_reconnect)."""
        if not (self.manages_connections and connection_ended(exc)):
            return False
        self._orphan = db_task_result
        return True

    def _hand_back(self, db_task_result: DBTaskResult) -> None:
        """An interrupted delivery goes back to the queue as it was before the claim: its
        transaction rolled back, so the attempt does not count."""
        # Still this claim's (its started_at): after a long outage the lease may have passed
        # it to another worker.
        DBTaskResult.objects.filter(
            pk=db_task_result.pk,
            status=TaskResultStatus.RUNNING,
            started_at=db_task_result.started_at,
        ).update(
            status=TaskResultStatus.READY,
            run_after=timezone.now(),
            started_at=None,
            worker_ids=db_task_result.worker_ids[:-1],
        )
        logger.warning("Delivery %s handed back to the queue.", db_task_result.pk)

    def _delivery_failed(self, db_task_result: DBTaskResult, exc: BaseException) -> None:
        event_id, handler = db_task_result.args_kwargs["args"]
        attempts = len(db_task_result.worker_ids)
        if attempts < settings.EVENTS_MAX_ATTEMPTS:
            delay = retry_delay(attempts)
            logger.warning(
                "Delivery of %s to %s failed (attempt %d/%d), retrying in %ss",
                event_id,
                handler,
                attempts,
                settings.EVENTS_MAX_ATTEMPTS,
                delay.total_seconds(),
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            DBTaskResult.objects.filter(pk=db_task_result.pk).update(
                status=TaskResultStatus.READY,
                run_after=timezone.now() + delay,
                finished_at=timezone.now(),
                **describe_failure(exc),
            )
            metrics.DELIVERIES_RETRIED.inc()
        else:
            logger.error(
                "Delivery of %s to %s is dead after %d attempts",
                event_id,
                handler,
                attempts,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            db_task_result.set_failed(exc)
            metrics.DELIVERIES_DEAD.inc()


def build_worker(**overrides: object) -> EventWorker:
    """A worker that runs in this process, inside whatever unit of work is current."""
    options = {
        "queue_names": ["*"],
        "interval": 1.0,
        "batch": True,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "in-process",
        "excluded_queue_names": [],
    } | overrides
    worker = EventWorker(**options)
    worker.manages_connections = False
    return worker


def run_deliveries(delivery_ids: list[UUID]) -> None:
    """Claim and run the given READY deliveries now, in this process (what the bus does
    after commit under EVENTS_DELIVER_ON_COMMIT)."""
    worker = build_worker(worker_id="on-commit")
    for delivery_id in delivery_ids:
        with exclusive_transaction():
            task_result = (
                DBTaskResult.objects.select_for_update()
                .filter(pk=delivery_id, status=TaskResultStatus.READY)
                .first()
            )
            if task_result is not None:
                task_result.claim(worker.worker_id)
        if task_result is not None:
            worker.run_task(task_result)
