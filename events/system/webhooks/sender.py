"""The sender: sends the webhook deliveries, concurrently, beside the worker's handlers.

Every `db_worker` process starts one (receivers.py, on `events.worker.worker_started`). Its
dispatcher thread is the only one that touches the database: it claims due deliveries, an
endpoint at a time, with `SELECT ... FOR UPDATE SKIP LOCKED` (several processes and hosts
share the rows; a claim is a lease, `claimed_until`, so a killed sender's deliveries are sent
again after it), builds and hands each message to a pool of threads that only do HTTP
(transport.py), and records what came back: an attempt each, the delivery delivered, retried
with backoff or dead, the endpoint's health. No endpoint has more than
WEBHOOKS_ENDPOINT_CONCURRENCY requests in flight, out of WEBHOOKS_CONCURRENCY in all, so a
slow or dead endpoint holds its own share of threads and never the others', and the worker's
handlers run on their own thread and connection, untouched by either.
"""

import json
import logging
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks_db.utils import exclusive_transaction

from events.models import EventRecord
from events.outbox import event_from_record
from events.system.webhooks import services, transport
from events.system.webhooks.models import Attempt, Delivery, Endpoint
from events.system.webhooks.selectors import receiving_endpoints

logger = logging.getLogger(__name__)

# How long an idle dispatcher waits before it looks for due deliveries again.
POLL_SECONDS = 0.5
# A delivery whose event this code cannot rebuild waits this long for a newer worker.
DEFER_SECONDS = 10.0
# After the first request of a turn ends, how long the dispatcher waits for more to end with
# it, so that their results are written in one transaction.
COALESCE_SECONDS = 0.005
# After a database error, the dispatcher waits this long (doubling, up to the cap).
ERROR_BACKOFF_SECONDS = (0.5, 30.0)


def now() -> datetime:
    """The sender's clock (tests move it)."""
    return timezone.now()


def retry_delay(attempts: int) -> timedelta:
    """After the `attempts`-th failure: base x 2^(attempts-1), capped, with up to a quarter
    more of jitter (so that deliveries failed together do not come back together)."""
    seconds = min(
        settings.WEBHOOKS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.WEBHOOKS_RETRY_MAX_SECONDS,
    )
    return timedelta(seconds=seconds * random.uniform(1.0, 1.25))


def message_body(record: EventRecord | None, *, include_personal: bool) -> bytes:
    """The JSON body: the event's id, type, version, time and payload (`data`), without the
    fields the catalog marks as personal unless the endpoint receives them."""
    if record is None:
        raise LookupError("the event's record is missing")
    event = event_from_record(record)
    data = event.to_payload()
    if not include_personal:
        for fields in type(event).personal_data.values():
            for name in fields:
                data.pop(name, None)
    body = {
        "id": str(record.event_id),
        "type": record.type,
        "version": type(event).version,
        "timestamp": record.occurred_at.isoformat(),
        "data": data,
    }
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def signing_secrets(endpoint: Endpoint, at: datetime) -> list[str]:
    """The secrets that sign now: the current one, and a rotated one during its overlap."""
    secrets = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and until > at:
        secrets.append(endpoint.previous_secret)
    return secrets


CLAIM_SQL = """
WITH wanted AS (
    SELECT due.id
    FROM unnest(%s::bigint[], %s::int[]) AS share(endpoint_id, slots)
    CROSS JOIN LATERAL (
        SELECT id FROM webhooks_delivery
        WHERE endpoint_id = share.endpoint_id AND status = 'pending' AND next_attempt_at <= %s
          AND (claimed_until IS NULL OR claimed_until < %s)
        ORDER BY next_attempt_at
        LIMIT share.slots
        FOR UPDATE SKIP LOCKED
    ) AS due
), claimed AS (
    UPDATE webhooks_delivery AS delivery SET claimed_until = %s
    FROM wanted WHERE delivery.id = wanted.id
    RETURNING delivery.id, delivery.endpoint_id, delivery.event_id, delivery.attempts,
              delivery.retry_until
)
SELECT claimed.*, record.type, record.version, record.payload, record.occurred_at
FROM claimed LEFT JOIN events_eventrecord AS record ON record.event_id = claimed.event_id
"""


def _record(event_id, type_name, version, payload, occurred_at) -> EventRecord | None:
    if type_name is None:
        return None
    if isinstance(payload, str | bytes):
        payload = json.loads(payload)
    return EventRecord(
        event_id=event_id, type=type_name, version=version, payload=payload, occurred_at=occurred_at
    )


@dataclass(slots=True)
class Job:
    delivery_id: int
    endpoint_id: int
    attempts: int
    retry_until: datetime
    started_at: datetime


class Sender:
    """See the module docstring. `start()`/`stop()` run it on a thread of its own (the worker);
    `step()` and `drain()` run it on the caller's (tests, commands)."""

    def __init__(self, *, concurrency: int | None = None, per_endpoint: int | None = None) -> None:
        self.concurrency = concurrency or settings.WEBHOOKS_CONCURRENCY
        self.per_endpoint = per_endpoint or settings.WEBHOOKS_ENDPOINT_CONCURRENCY
        self.pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="webhook")
        self.in_flight: Counter[int] = Counter()
        self.jobs: dict[Future, Job] = {}
        # Futures put here as they end (a callback): the dispatcher's cost per turn does not
        # grow with the requests in flight (a slow endpoint's hundred waiting ones).
        self._ended: queue.SimpleQueue[Future] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._turn = 0
        # Endpoints whose failing_since may be set: a success clears it.
        self._maybe_failing: set[int] = set()

    # Running on a thread of its own ------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._thread.start()
        logger.info(
            "Webhook sender started (%d in flight at most, %d per endpoint)",
            self.concurrency,
            self.per_endpoint,
        )

    def stop(self, *, timeout: float | None = None) -> None:
        """Claim nothing more, let the requests in flight end (each within its timeout) and
        record them."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        backoff = ERROR_BACKOFF_SECONDS[0]
        try:
            while not self._stopping.is_set():
                try:
                    close_old_connections()
                    self.step(wait_seconds=POLL_SECONDS)
                    backoff = ERROR_BACKOFF_SECONDS[0]
                except Exception:
                    logger.exception("Webhook sender: database error; trying again in %ss", backoff)
                    connections.close_all()
                    self._stopping.wait(backoff)
                    backoff = min(backoff * 2, ERROR_BACKOFF_SECONDS[1])
            self._finish()
        finally:
            connections.close_all()

    def _finish(self) -> None:
        """Record what is still in flight once it ends (each request ends within its timeout)."""
        while self.jobs:
            self._collect(wait_seconds=settings.WEBHOOKS_TIMEOUT_SECONDS + 1)

    # One turn -----------------------------------------------------------------------------

    def step(self, *, wait_seconds: float = 0.0) -> int:
        """Record the requests that ended, claim and send what is due; then wait up to
        `wait_seconds` for a request to end (or for new work). Returns how many were sent."""
        self._collect(wait_seconds=0)
        sent = self._claim_and_send()
        if wait_seconds:
            if self.jobs:
                try:
                    self._ended.put(self._ended.get(timeout=wait_seconds))
                except queue.Empty:
                    pass
                else:
                    # Let the answers arriving together be recorded together.
                    time.sleep(COALESCE_SECONDS)
            elif not sent:
                self._stopping.wait(wait_seconds)
        return sent

    def drain(self, *, timeout: float = 60.0, until: Callable[[], bool] | None = None) -> None:
        """Send until nothing is due and nothing in flight (or `until()` holds), on this thread."""
        deadline = timezone.now() + timedelta(seconds=timeout)
        while timezone.now() < deadline:
            sent = self.step(wait_seconds=0.05)
            if until is not None:
                if until():
                    break
            elif not sent and not self.jobs and not self._due():
                break
        self._finish()

    def _due(self) -> bool:
        return Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now(),
            endpoint__active=True,
            endpoint__paused_at__isnull=True,
        ).exists()

    # Claiming -----------------------------------------------------------------------------

    def _endpoints(self) -> list[Endpoint]:
        """The endpoints that receive (selectors.receiving_endpoints: read again only after
        a change, which every sender then sees on its next turn)."""
        endpoints = list(receiving_endpoints())
        self._maybe_failing |= {e.pk for e in endpoints if e.failing_since}
        return endpoints

    def _claim_and_send(self) -> int:
        free = self.concurrency - len(self.jobs)
        endpoints = self._endpoints()
        if free <= 0 or not endpoints:
            return 0
        # Start with a different endpoint each turn, so that none is always served last.
        self._turn = (self._turn + 1) % len(endpoints)
        endpoints = endpoints[self._turn :] + endpoints[: self._turn]
        slots: dict[int, int] = {}
        for endpoint in endpoints:
            room = min(self.per_endpoint - self.in_flight[endpoint.pk], free - sum(slots.values()))
            if room > 0:
                slots[endpoint.pk] = room
        if not slots:
            return 0
        at = now()
        claimed = self._claim(slots, at)
        if not claimed:
            return 0
        by_id = {endpoint.pk: endpoint for endpoint in endpoints}
        secrets = {pk: signing_secrets(by_id[pk], at) for pk in slots}
        deferred = []
        for row, record in claimed:
            endpoint = by_id[row.endpoint_id]
            try:
                body = message_body(record, include_personal=endpoint.include_personal)
            except Exception as exc:
                # An event type or version newer than this code (a rolling deploy): left for a
                # newer worker, without counting as an attempt, never dead for it.
                logger.warning("Webhook delivery %s left for a newer worker: %s", row.pk, exc)
                deferred.append(row.pk)
                continue
            future = self.pool.submit(
                transport.post,
                endpoint.url,
                msg_id=str(row.event_id),
                body=body,
                secrets=secrets[endpoint.pk],
            )
            self.jobs[future] = Job(row.pk, endpoint.pk, row.attempts, row.retry_until, at)
            future.add_done_callback(self._ended.put)
            self.in_flight[endpoint.pk] += 1
        if deferred:
            Delivery.objects.filter(pk__in=deferred).update(
                claimed_until=None, next_attempt_at=at + timedelta(seconds=DEFER_SECONDS)
            )
        return len(claimed) - len(deferred)

    def _claim(
        self, slots: dict[int, int], at: datetime
    ) -> list[tuple[Delivery, EventRecord | None]]:
        """Up to `slots[endpoint]` due deliveries of each endpoint, oldest first, leased to
        this sender, with their events' records."""
        lease_until = at + timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS * 2 + 60)
        connection = connections[Delivery.objects.db]
        if connection.vendor == "postgresql":
            # One statement, one round trip: every endpoint's share (the due index, SKIP
            # LOCKED), leased, joined to its records.
            with connection.cursor() as cursor:
                cursor.execute(CLAIM_SQL, [list(slots), list(slots.values()), at, at, lease_until])
                rows = cursor.fetchall()
            claimed = []
            for pk, endpoint_id, event_id, attempts, retry_until, *record in rows:
                delivery = Delivery(
                    pk=pk,
                    endpoint_id=endpoint_id,
                    event_id=event_id,
                    attempts=attempts,
                    retry_until=retry_until,
                )
                claimed.append((delivery, _record(event_id, *record)))
            return claimed
        with exclusive_transaction():
            rows = []
            for endpoint_id, room in slots.items():
                rows += list(
                    Delivery.objects.select_for_update(skip_locked=True)
                    .filter(
                        Q(claimed_until__isnull=True) | Q(claimed_until__lt=at),
                        endpoint_id=endpoint_id,
                        status=Delivery.Status.PENDING,
                        next_attempt_at__lte=at,
                    )
                    .order_by("next_attempt_at")
                    .only("id", "endpoint_id", "event_id", "attempts", "retry_until")[:room]
                )
            if rows:
                Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(
                    claimed_until=lease_until
                )
        records = EventRecord.objects.in_bulk([row.event_id for row in rows])
        return [(row, records.get(row.event_id)) for row in rows]

    # Recording ----------------------------------------------------------------------------

    def _collect(self, *, wait_seconds: float) -> None:
        if not self.jobs:
            return
        done = []
        try:
            first = (
                self._ended.get(timeout=wait_seconds) if wait_seconds else self._ended.get_nowait()
            )
            done.append(first)
            while True:
                done.append(self._ended.get_nowait())
        except queue.Empty:
            pass
        if not done:
            return
        results = []
        for future in done:
            job = self.jobs[future]
            try:
                outcome = future.result()
            except Exception as exc:  # transport.post does not raise; a bug would
                outcome = transport.Outcome(False, None, 0, "", f"{type(exc).__name__}: {exc}")
            results.append((job, outcome))
        try:
            self._record(results)
        except BaseException:
            for future in done:  # to be recorded on a later turn
                self._ended.put(future)
            raise
        for future in done:
            job = self.jobs.pop(future)
            self.in_flight[job.endpoint_id] -= 1

    def _record(self, results: list[tuple["Job", transport.Outcome]]) -> None:
        at = now()
        delivered: list[int] = []
        healthy: set[int] = set()
        failing: set[int] = set()
        with transaction.atomic():
            Attempt.objects.bulk_create(
                Attempt(
                    delivery_id=job.delivery_id,
                    endpoint_id=job.endpoint_id,
                    attempted_at=job.started_at,
                    ok=outcome.ok,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    response_excerpt=outcome.excerpt,
                    error=outcome.error,
                )
                for job, outcome in results
            )
            for job, outcome in results:
                if outcome.ok:
                    delivered.append(job.delivery_id)
                    healthy.add(job.endpoint_id)
                    continue
                failing.add(job.endpoint_id)
                attempts = job.attempts + 1
                retry_at = at + retry_delay(attempts)
                fields: dict[str, object] = {
                    "attempts": attempts,
                    "claimed_until": None,
                    "last_error": outcome.error[:500],
                }
                if retry_at > job.retry_until:
                    fields |= {"status": Delivery.Status.DEAD, "finished_at": at}
                    logger.warning(
                        "Webhook delivery %s to endpoint %s is dead after %d attempts: %s",
                        job.delivery_id,
                        job.endpoint_id,
                        attempts,
                        outcome.error,
                    )
                else:
                    fields["next_attempt_at"] = retry_at
                Delivery.objects.filter(pk=job.delivery_id).update(**fields)
            if delivered:
                Delivery.objects.filter(pk__in=delivered).update(
                    status=Delivery.Status.DELIVERED,
                    attempts=F("attempts") + 1,
                    finished_at=at,
                    claimed_until=None,
                    last_error="",
                )
            changed = 0
            if recovered := healthy & self._maybe_failing:
                changed += Endpoint.objects.filter(
                    pk__in=recovered, failing_since__isnull=False
                ).update(failing_since=None)
                self._maybe_failing -= recovered
            failing -= healthy
            self._maybe_failing |= failing
            if failing:
                changed += Endpoint.objects.filter(
                    pk__in=failing, failing_since__isnull=True
                ).update(failing_since=at)
            if changed:
                # Other senders learn that an endpoint started or stopped failing.
                services.endpoints_changed()
        if failing:
            pause_before = at - timedelta(seconds=settings.WEBHOOKS_PAUSE_AFTER_SECONDS)
            for endpoint_id in Endpoint.objects.filter(
                pk__in=failing, paused_at__isnull=True, failing_since__lt=pause_before
            ).values_list("pk", flat=True):
                if services.endpoint_pause(endpoint_id):
                    logger.error("Webhook endpoint %s paused: failing for too long", endpoint_id)
