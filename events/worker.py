"""The background worker: django_tasks_db's rows and worker, plus what a durable event bus
needs, at the throughput the writes need (docs/architecture.md, "The worker").

It claims the delivery rows the outbox (events/outbox.py) wrote, a batch at a time, and runs
each (`events.outbox.deliver`: the handler and its receipt in one transaction):

- One iteration (`iteration`) is: sweep expired leases when due, claim a batch (one
  `SELECT ... FOR UPDATE SKIP LOCKED` and one UPDATE, on an index that matches the claim's
  order, so its cost does not grow with the queue), run it (the batch's audit records and
  receipts read in two queries), mark what succeeded in one UPDATE; when nothing was
  claimed, wait for a NOTIFY (PostgreSQL) or the poll interval, whichever comes first.
- Several workers (processes, hosts: `WORKER_PROCESSES=N`) share one queue: SKIP LOCKED gives
  each row to one claimant, and receipts make any second run a no-op.
- A failed delivery goes back to READY with an exponential `run_after` until it has been tried
  `EVENTS_MAX_ATTEMPTS` times; then it stays FAILED (dead) for `events_retry`.
- The rows a worker holds are leased: it renews `started_at` every third of
  `EVENTS_LEASE_SECONDS` (a thread of its own), and any worker puts a delivery whose lease
  expired (its worker was killed) back to READY. Receipts make the second run harmless if
  the first one had committed.
- An event version, type or handler newer than this worker's code (a rolling deploy) is left
  for a newer worker: put back without counting as an attempt, never dead-lettered.
- SIGTERM (or Ctrl-C) stops it gracefully: it claims nothing more, finishes the delivery in
  hand, hands the rest of its batch back and exits 0. If that delivery is still running after
  `EVENTS_SHUTDOWN_GRACE_SECONDS`, or a second signal comes, the delivery is interrupted: its
  transaction rolls back, it goes back to the queue without counting as an attempt, and the
  worker exits 1. Signals that come within `REPEATED_SIGNAL_SECONDS` of the first are the
  same request (a `kill -TERM -PGID` reaches the worker and make, and make forwards it
  again): only a later one interrupts.
- A database that goes away (its connection ended while idle, while claiming or while a
  handler runs; a restart, a failover, a pooler's recycle) is waited for: the worker logs it,
  reconnects with a backoff from `EVENTS_RECONNECT_BASE_SECONDS` doubling up to
  `EVENTS_RECONNECT_MAX_SECONDS`, and goes on; it never exits for it. The delivery whose
  connection ended mid-run rolled back with it: it and the rest of its batch go back to the
  queue without counting as an attempt (a receipt that had committed makes the next run a
  no-op).
"""

import contextlib
import logging
import select
import signal
import threading
import time
from datetime import datetime, timedelta
from types import FrameType
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Expression, F, JSONField
from django.db.utils import DatabaseError, OperationalError
from django.dispatch import Signal
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from conduit.connections import CONNECTION_ERRORS, close_connections, connection_ended
from events.core import metrics
from events.models import DeliveryReceipt, EventRecord, WorkerHeartbeat
from events.outbox import (
    DELIVER_TASK_PATH,
    NOTIFY_CHANNEL,
    NotThisWorkersEvent,
    deliver,
    deliver_many,
    deliveries,
    delivery_attempt,
    describe_failure,
    handles_batches,
)

logger = logging.getLogger(__name__)

# Sent by `db_worker` in each worker process, around its loop (never by an in-process worker),
# with `batch` (a --batch run ends when the queue is empty): what runs beside the deliveries
# starts and stops on them (the webhooks app's sender).
worker_started = Signal()
worker_stopped = Signal()

LEASE_SWEEP_INTERVAL_SECONDS = 5.0
# How often an idle worker looks up from its sleep to see whether it was asked to stop.
IDLE_SLICE_SECONDS = 0.1
# Signals within this long of the first one are that same request, delivered twice.
REPEATED_SIGNAL_SECONDS = 1.0
# A delivery this worker's code is too old for waits this long before it is offered again.
DEFER_SECONDS = 10.0


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
    """Deliveries whose worker died mid-run (their lease was not renewed) go back to READY."""
    expired_before = timezone.now() - timedelta(seconds=settings.EVENTS_LEASE_SECONDS)
    count = (
        deliveries()
        .filter(status=TaskResultStatus.RUNNING, started_at__lt=expired_before)
        .update(status=TaskResultStatus.READY, run_after=timezone.now())
    )
    if count:
        logger.warning("Requeued %d deliveries whose lease expired", count)
    return count


class WithWorker(Expression):
    """`worker_ids` with one more worker id appended, in SQL (a claim's attempt)."""

    output_field = JSONField()

    def __init__(self, worker_id: str) -> None:
        super().__init__()
        self.worker_id = worker_id

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ):
        clone = self.copy()
        clone.column = F("worker_ids").resolve_expression(query, allow_joins, reuse, summarize)
        return clone

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        column, params = compiler.compile(self.column)
        if connection.vendor == "postgresql":
            return f"({column} || jsonb_build_array(%s::text))", [*params, self.worker_id]
        if connection.vendor == "mysql":
            return f"JSON_ARRAY_APPEND({column}, '$', %s)", [*params, self.worker_id]
        return f"json_insert({column}, '$[#]', %s)", [*params, self.worker_id]


class LeaseKeeper(threading.Thread):
    """Renews the lease of the deliveries its worker holds, every third of the lease, on a
    connection of its own (a handler that runs long keeps its delivery)."""

    def __init__(self, worker: "EventWorker") -> None:
        super().__init__(name="lease-keeper", daemon=True)
        self.worker = worker
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = max(settings.EVENTS_LEASE_SECONDS / 3, 0.1)
        try:
            while not self.stopping.wait(interval):
                held = list(self.worker.held)
                if not held:
                    continue
                try:
                    close_old_connections()
                    DBTaskResult.objects.filter(
                        pk__in=held, status=TaskResultStatus.RUNNING
                    ).update(started_at=timezone.now())
                except Exception as exc:
                    # The database away (the loop reconnects on its own): try again next time.
                    logger.warning(
                        "Could not renew the lease of %d deliveries (%s)",
                        len(held),
                        describe_error(exc),
                    )
                    close_connections()
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


def beat(worker_id: str, started_at: datetime) -> None:
    """Tell readiness (/ready) that this worker is alive."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": now},
        create_defaults={"started_at": started_at, "seen_at": now},
    )


def end_heartbeat(worker_id: str) -> None:
    """A worker that stops says so: readiness does not count it for the rest of its interval."""
    try:
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
    except DatabaseError:
        logger.warning("Could not remove the heartbeat of worker_id=%s", worker_id)


class EventWorker(Worker):
    # A worker in its own process recycles stale connections as a request would, keeps its
    # leases from a thread and listens for NOTIFY; one running inside another unit of work
    # (tests, EVENTS_DELIVER_ON_COMMIT) must leave connections alone.
    manages_connections = True
    # Set once the loop has ended: a grace timer firing after that has nothing to interrupt.
    _stopped = False
    _handles_signals = False
    _stop_requested_at = 0.0

    def __init__(self, *args: Any, claim_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claim_size = claim_size or settings.EVENTS_WORKER_BATCH
        # The ids of the deliveries claimed and not yet marked: the lease keeper renews them.
        self.held: set[UUID] = set()
        self._listener: Any = None
        self._next_sweep = self._next_beat = 0.0
        self._started_at = timezone.now()
        self._prepared: Any = None
        # Handler path -> whether it takes batches (looked up once).
        self._batch_handlers: dict[str, bool] = {}
        # Claimed by this worker when its connection ended mid-batch: the successes to mark
        # and the rows to hand back once the database answers again (_reconnect).
        self._orphans: tuple[dict[str, list[UUID]], list[DBTaskResult]] | None = None

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
        """Iterations until stopped, with a lease keeper beside them."""
        keeper = LeaseKeeper(self) if self.manages_connections else None
        if keeper:
            keeper.start()
        try:
            logger.info("Starting event worker worker_id=%s", self.worker_id)
            while self.running:
                try:
                    if not self.iteration():
                        return
                except CONNECTION_ERRORS as exc:
                    # The loop's own statements (sweep, claim, marks) or a handler's: whatever
                    # stopped them, the worker waits and tries again rather than exit.
                    if not self.manages_connections:
                        raise
                    self._reconnect(exc)
        finally:
            self._stopped = True
            if self._handles_signals:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if keeper:
                keeper.stop()
            if self.manages_connections:
                end_heartbeat(self.worker_id)
            self._close_listener()

    def iteration(self) -> bool:
        """One turn of the loop: sweep leases when due, claim a batch, run it, or wait for
        work. False when the worker is done (--batch with nothing left, --max-tasks)."""
        self._recycle_connections()
        if time.monotonic() >= self._next_sweep:
            requeue_expired_leases()
            self._next_sweep = time.monotonic() + LEASE_SWEEP_INTERVAL_SECONDS
        if self.manages_connections and time.monotonic() >= self._next_beat:
            beat(self.worker_id, self._started_at)
            self._next_beat = time.monotonic() + settings.WORKER_HEARTBEAT_SECONDS
        try:
            batch = self.claim()
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            batch, retrieved = [], False
        else:
            retrieved = True
        if batch:
            self.run_batch(batch)
            if len(batch) < self.claim_size and self.running and not self.batch:
                # The queue ran dry: let what is being written gather before the next claim.
                self._gather()
        elif self.batch and retrieved:
            logger.info("No more tasks for worker_id=%s, exiting.", self.worker_id)
            return False
        if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
            return False
        if self.running and not batch:
            self._idle(self.interval)
        return True

    # Claiming ----------------------------------------------------------------------------

    def _ready(self):
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        return tasks

    def claim(self) -> list[DBTaskResult]:
        """Up to `claim_size` ready rows, in the queue's order, now RUNNING for this worker."""
        limit = self.claim_size
        if self.max_tasks is not None:
            limit = max(1, min(limit, self.max_tasks - self._run_tasks))
        tasks = self._ready()
        with exclusive_transaction(tasks.db):
            connection = connections[tasks.db]
            if connection.vendor == "postgresql":
                # The claim must walk the ordering index (tasks_db_new_ordering_idx) and stop
                # after `limit` rows. With statistics older than a burst of writes the planner
                # chose a bitmap scan and sorted the whole queue on disk instead: 108 ms at
                # 36,000 queued against 0.4 ms (bench/README.md, "The worker").
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL enable_sort = off")
                    cursor.execute("SET LOCAL enable_bitmapscan = off")
            rows = list(tasks.select_for_update(skip_locked=True)[:limit])
            if rows:
                now = timezone.now()
                DBTaskResult.objects.filter(pk__in=[row.pk for row in rows]).update(
                    status=TaskResultStatus.RUNNING,
                    started_at=now,
                    worker_ids=WithWorker(self.worker_id),
                )
                for row in rows:
                    row.status = TaskResultStatus.RUNNING
                    row.started_at = now
                    row.worker_ids = [*row.worker_ids, self.worker_id]
        self.held.update(row.pk for row in rows)
        if rows:
            metrics.DELIVERIES_CLAIMED.inc(len(rows))
        return rows

    # Running -----------------------------------------------------------------------------

    def run_batch(self, batch: list[DBTaskResult]) -> None:
        """Run a claimed batch in order: the one place where deliveries run. The deliveries
        of a handler that takes batches (events.core.wiring.handles_batches) run as one unit,
        at the place of the first of them; every other delivery is a unit of its own. A stop
        request finishes the unit in hand and hands the rest back."""
        event_ids = {
            row.args_kwargs["args"][0] for row in batch if row.task_path == DELIVER_TASK_PATH
        }
        records = {str(pk): record for pk, record in EventRecord.objects.in_bulk(event_ids).items()}
        handled = {
            (str(event_id), handler)
            for event_id, handler in DeliveryReceipt.objects.filter(
                event_id__in=event_ids
            ).values_list("event_id", "handler")
        }
        units = self._units(batch, handled)
        done: dict[str, list[UUID]] = {}
        started = 0
        try:
            for unit in units:
                if not self.running:
                    break
                started += 1
                if len(unit) == 1:
                    outcome = self._run_one(unit[0], records, handled)
                    if outcome is not None:
                        done.setdefault(outcome, []).append(unit[0].pk)
                else:
                    self._run_group(unit, records, handled, done)
            # Those a stop request kept from starting.
            self._hand_back(_rows(units[started:]))
        except WorkerInterrupted:
            # The unit in hand went back in _run_one or _run_group; these never started.
            self._hand_back(_rows(units[started:]))
            self._mark_done(done)
            self.held.clear()
            raise
        except CONNECTION_ERRORS as exc:
            if self.manages_connections and connection_ended(exc):
                # The one in hand rolled back with its connection: it and those not started
                # go back, the successes are marked, once the database answers (_reconnect).
                # (Rows of the unit in hand that had committed are among the successes, and
                # the handing back leaves them be.)
                self._orphans = (done, _rows(units[max(started - 1, 0) :]))
                raise
            self._mark_done(done)
            self.held.clear()
            raise
        self._mark_done(done)
        self.held.clear()

    def _units(
        self, batch: list[DBTaskResult], handled: set[tuple[str, str]]
    ) -> list[list[DBTaskResult]]:
        """The batch cut into what runs as one: a batch handler's deliveries together (those
        not handled yet), every other row alone."""
        units: list[list[DBTaskResult]] = []
        groups: dict[str, list[DBTaskResult]] = {}
        for row in batch:
            if row.task_path == DELIVER_TASK_PATH:
                event_id, handler = row.args_kwargs["args"]
                if (event_id, handler) not in handled and self._takes_batches(handler):
                    group = groups.get(handler)
                    if group is None:
                        group = groups[handler] = []
                        units.append(group)
                    group.append(row)
                    continue
            units.append([row])
        return units

    def _takes_batches(self, handler: str) -> bool:
        known = self._batch_handlers.get(handler)
        if known is None:
            known = self._batch_handlers[handler] = handles_batches(handler)
        return known

    def _run_group(
        self,
        rows: list[DBTaskResult],
        records: dict[str, EventRecord],
        handled: set[tuple[str, str]],
        done: dict[str, list[UUID]],
    ) -> None:
        """Run a batch handler's deliveries as one (`deliver_many`); if that fails, run each on
        its own, so that the event that failed is retried alone and the others succeed."""
        handler = rows[0].args_kwargs["args"][1]
        group_records = [records.get(row.args_kwargs["args"][0]) for row in rows]
        if None not in group_records:  # (an event gone from the audit trail fails alone)
            self.running_task = True
            try:
                deliver_many(handler, group_records)
            except (WorkerInterrupted, KeyboardInterrupt):
                self._hand_back(rows)
                raise
            except NotThisWorkersEvent:
                pass  # one at a time: the newer events are left for a newer worker
            except BaseException as exc:
                if self.manages_connections and connection_ended(exc):
                    raise  # run_batch keeps the unit for _reconnect to hand back
                logger.warning(
                    "A batch of %d deliveries to %s failed (%s): running them one at a time.",
                    len(rows),
                    handler,
                    describe_error(exc),
                )
            else:
                metrics.DELIVERIES_RUN.labels("ok").inc(len(rows))
                self._run_tasks += len(rows)
                done.setdefault("handled", []).extend(row.pk for row in rows)
                return
            finally:
                self.running_task = False
        for position, row in enumerate(rows):
            try:
                outcome = self._run_one(row, records, handled)
            except WorkerInterrupted:
                self._hand_back(rows[position + 1 :])
                raise
            if outcome is not None:
                done.setdefault(outcome, []).append(row.pk)

    def _run_one(
        self,
        row: DBTaskResult,
        records: dict[str, EventRecord],
        handled: set[tuple[str, str]],
    ) -> str | None:
        """Run one claimed row; returns the outcome to mark it successful with, or None when
        it was marked otherwise (retried, dead, deferred, or not a delivery)."""
        if row.task_path != DELIVER_TASK_PATH:
            super().run_task(row)
            return None
        event_id, handler = row.args_kwargs["args"]
        if (event_id, handler) in handled:
            self._run_tasks += 1
            return "already handled"
        self.running_task = True
        attempt = delivery_attempt.set(len(row.worker_ids))
        try:
            outcome = deliver(event_id, handler, record=records.get(event_id), check_receipt=False)
            metrics.DELIVERIES_RUN.labels("ok").inc()
            return outcome
        except WorkerInterrupted:
            self._hand_back([row])
            raise
        except NotThisWorkersEvent as exc:
            self._defer(row, exc)
            return None
        except BaseException as exc:
            metrics.DELIVERIES_RUN.labels("failed").inc()
            if self.manages_connections and connection_ended(exc):
                raise  # run_batch keeps it for _reconnect to hand back
            self._delivery_failed(row, exc)
            if isinstance(exc, KeyboardInterrupt):
                raise
            return None
        finally:
            delivery_attempt.reset(attempt)
            self.running_task = False
            self._run_tasks += 1

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run one claimed row on its own (run_deliveries: EVENTS_DELIVER_ON_COMMIT)."""
        self.held.add(db_task_result.pk)
        self.run_batch([db_task_result])

    def _mark_done(self, done: dict[str, list[UUID]]) -> None:
        now = timezone.now()
        for outcome, ids in done.items():
            DBTaskResult.objects.filter(pk__in=ids).update(
                status=TaskResultStatus.SUCCESSFUL,
                finished_at=now,
                return_value=outcome,
                exception_class_path="",
                traceback="",
            )

    def _hand_back(self, rows: list[DBTaskResult]) -> None:
        """Claimed rows go back to the queue as they were before the claim: an interrupted
        delivery's transaction rolled back, so the attempt does not count."""
        for row in rows:
            # Still this claim's (its attempts as claimed): after a long outage the lease may
            # have passed it to another worker.
            DBTaskResult.objects.filter(
                pk=row.pk, status=TaskResultStatus.RUNNING, worker_ids=row.worker_ids
            ).update(
                status=TaskResultStatus.READY,
                run_after=row.run_after,
                started_at=None,
                worker_ids=row.worker_ids[:-1],
            )
            logger.warning("Delivery %s handed back to the queue.", row.pk)

    def _defer(self, row: DBTaskResult, exc: NotThisWorkersEvent) -> None:
        """Written by newer code (a rolling deploy): left for a newer worker, no attempt."""
        logger.warning("Delivery %s left for a newer worker: %s", row.pk, exc)
        DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY,
            run_after=timezone.now() + timedelta(seconds=DEFER_SECONDS),
            started_at=None,
            worker_ids=row.worker_ids[:-1],
        )

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

    def _reconnect(self, exc: BaseException) -> None:
        """The database went away: wait for it with a bounded backoff, loudly, then settle
        the batch it took down with it. Returns once it answers (or on a stop)."""
        lost_at = time.monotonic()
        logger.warning(
            "Lost the database connection (%s): reconnecting.",
            describe_error(exc),
            exc_info=not connection_ended(exc),  # not the usual story: the whole traceback
        )
        self._close_listener()
        self._prepared = None
        failures = 0
        while self.running:
            close_connections()
            try:
                connections["default"].ensure_connection()
                if not connections["default"].is_usable():
                    raise OperationalError("the new connection does not answer SELECT 1")
                if self._orphans is not None:
                    done, rows = self._orphans
                    self._mark_done(done)
                    self._hand_back(rows)
                    self._orphans = None
                    self.held.clear()
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
                self._idle(delay, listen=False)
                continue
            logger.warning(
                "Reconnected to the database after %.1fs; going on.", time.monotonic() - lost_at
            )
            return

    # Waiting -----------------------------------------------------------------------------

    def _idle(self, seconds: float, *, listen: bool = True) -> None:
        """Wait up to `seconds` for work, in slices, so that a stop request ends the loop
        within one slice; on PostgreSQL a NOTIFY from a commit that queued deliveries ends it
        at once (the poll stays, for poolers such as pgbouncer that drop notifications)."""
        listener = self._listen() if listen else None
        deadline = time.monotonic() + seconds
        while self.running and (left := deadline - time.monotonic()) > 0:
            wait = min(left, IDLE_SLICE_SECONDS)
            if listener is None:
                time.sleep(wait)
                continue
            try:
                ready, _, _ = select.select([listener.fileno()], [], [], wait)
                if ready and any(True for _ in listener.notifies(timeout=0)):
                    self._gather()
                    return
            except Exception:
                logger.warning("Lost the NOTIFY connection; polling until it is back.")
                self._close_listener()
                listener = None

    def _gather(self) -> None:
        """Wait EVENTS_WORKER_GATHER_SECONDS before claiming what a commit just queued, so
        that under a steady trickle of writes a claim takes the deliveries of many commits
        (batch handlers then run once for them all) instead of one commit's: without it the
        workers woke for every commit and took the CPU the writes needed (bench/README.md,
        "The worker")."""
        deadline = time.monotonic() + settings.EVENTS_WORKER_GATHER_SECONDS
        while self.running and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, IDLE_SLICE_SECONDS))

    def _listen(self) -> Any:
        if not (self.manages_connections and settings.EVENTS_WORKER_LISTEN):
            return None
        if self._listener is not None:
            return self._listener
        connection = connections[DBTaskResult.objects.db]
        if connection.vendor != "postgresql":
            return None
        try:
            import psycopg

            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            params.pop("prepare_threshold", None)
            listener = psycopg.connect(**params, autocommit=True)
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except Exception:
            logger.warning("Could not LISTEN for new deliveries; polling.", exc_info=True)
            return None
        self._listener = listener
        return listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.close()
            self._listener = None

    def _recycle_connections(self) -> None:
        if self.manages_connections:
            close_old_connections()
            self._prepare_connection()

    def _prepare_connection(self) -> None:
        """The worker's PostgreSQL session commits without waiting for the WAL flush
        (synchronous_commit off): 1.3-2x the runs a second on this machine. Safe for
        deliveries: a handler's effects, its receipt and the row's success are committed in
        that order, and a crash of PostgreSQL loses only a suffix of them, so what it loses
        is a delivery not yet done, which runs again (the web's commits keep their flush)."""
        connection = connections[DBTaskResult.objects.db]
        if connection.vendor != "postgresql":
            return
        connection.ensure_connection()
        if connection.connection is not self._prepared:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
            self._prepared = connection.connection


def _rows(units: list[list[DBTaskResult]]) -> list[DBTaskResult]:
    return [row for unit in units for row in unit]


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
