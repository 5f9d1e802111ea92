"""Writes of the webhooks app: endpoints (created, changed, rotated, paused, resumed, deleted;
each change an audited event that never carries a secret), the deliveries a commit records
for them, and a resend. The sender (sender.py) records attempts through these too."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from conduit.readcache import forget_reads
from events import bus
from events.core.event import Event
from events.core.unit_of_work import unit_of_work
from events.system.webhooks import signing
from events.system.webhooks.events import (
    WebhookDeliveryResent,
    WebhookEndpointChanged,
    WebhookEndpointCreated,
    WebhookEndpointDeleted,
    WebhookEndpointPaused,
    WebhookSecretRotated,
)
from events.system.webhooks.models import Attempt, Delivery, Endpoint
from events.system.webhooks.safety import check_url
from events.system.webhooks.selectors import (
    ALL_EVENTS,
    ENDPOINTS_SCOPE,
    receiving_endpoints,
    subscribable_event_types,
)


class InvalidEndpoint(ValueError):
    pass


def clean_event_types(event_types: Sequence[str]) -> tuple[bool, list[str]]:
    """(all_events, the chosen types); unknown or unaudited types are refused."""
    chosen = [name.strip() for name in event_types if name.strip()]
    if ALL_EVENTS in chosen:
        return True, []
    if not chosen:
        raise InvalidEndpoint("choose at least one event type, or * for all")
    known = set(subscribable_event_types())
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise InvalidEndpoint(f"not an event type of the catalog: {', '.join(unknown)}")
    return False, sorted(set(chosen))


def validate_url(url: str) -> None:
    """Raises UnsafeURL (safety.py) unless the URL may receive webhooks."""
    check_url(url)


def endpoints_changed() -> None:
    """Called in the transaction that changes an endpoint: every process reads the endpoints
    again (selectors.receiving_endpoints) for its next write. The stamp is renewed now, so
    that a process ending between the commit and its callbacks leaves none remembering the
    old endpoints, and again right after the commit, so that none keeps what it read in
    between (the change not committed yet)."""
    forget_reads(ENDPOINTS_SCOPE)
    transaction.on_commit(lambda: forget_reads(ENDPOINTS_SCOPE), robust=True)


def _types_of(endpoint: Endpoint) -> tuple[str, ...]:
    return (ALL_EVENTS,) if endpoint.all_events else tuple(endpoint.event_types)


def _changed(endpoint: Endpoint, changed: tuple[str, ...]) -> WebhookEndpointChanged:
    """The endpoint as it is now, and which of its fields changed."""
    return WebhookEndpointChanged(
        endpoint_id=endpoint.pk,
        changed=changed,
        url=endpoint.url,
        event_types=_types_of(endpoint),
        active=endpoint.active,
        include_personal=endpoint.include_personal,
    )


@unit_of_work
def endpoint_create(
    *,
    url: str,
    event_types: Sequence[str],
    description: str = "",
    active: bool = True,
    include_personal: bool = False,
) -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret, which the caller shows once."""
    validate_url(url)
    all_events, types = clean_event_types(event_types)
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(
        url=url,
        description=description,
        all_events=all_events,
        event_types=types,
        active=active,
        include_personal=include_personal,
        secret=secret,
    )
    endpoints_changed()
    bus.publish(
        WebhookEndpointCreated(
            endpoint_id=endpoint.pk,
            url=url,
            event_types=_types_of(endpoint),
            active=active,
            include_personal=include_personal,
        )
    )
    return endpoint, secret


@unit_of_work
def endpoint_update(
    endpoint: Endpoint,
    *,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
    include_personal: bool | None = None,
) -> Endpoint:
    changed = []
    if url is not None and url != endpoint.url:
        validate_url(url)
        endpoint.url = url
        changed.append("url")
    if event_types is not None:
        all_events, types = clean_event_types(event_types)
        if (all_events, types) != (endpoint.all_events, endpoint.event_types):
            endpoint.all_events, endpoint.event_types = all_events, types
            changed.append("event_types")
    for name, value in (
        ("description", description),
        ("active", active),
        ("include_personal", include_personal),
    ):
        if value is not None and value != getattr(endpoint, name):
            setattr(endpoint, name, value)
            changed.append(name)
    if not changed:
        return endpoint
    endpoint.save()
    endpoints_changed()
    bus.publish(_changed(endpoint, tuple(changed)))
    return endpoint


@unit_of_work
def endpoint_rotate_secret(endpoint: Endpoint) -> str:
    """A new secret; the old one keeps signing (beside it) for the overlap."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = signing.new_secret()
    until = timezone.now() + timedelta(seconds=settings.WEBHOOKS_ROTATION_OVERLAP_SECONDS)
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, until
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    endpoints_changed()
    bus.publish(WebhookSecretRotated(endpoint_id=endpoint.pk, overlap_until=until.isoformat()))
    return secret


@unit_of_work
def endpoint_resume(endpoint: Endpoint) -> Endpoint:
    """A paused endpoint gets deliveries again (those still pending are sent)."""
    if endpoint.paused_at is None:
        return endpoint
    Endpoint.objects.filter(pk=endpoint.pk).update(paused_at=None, failing_since=None)
    endpoint.paused_at = endpoint.failing_since = None
    endpoints_changed()
    bus.publish(_changed(endpoint, ("paused",)))
    return endpoint


@unit_of_work
def endpoint_pause(endpoint_id: int) -> bool:
    """Pause an endpoint that has failed for too long, and tell the admins: once, however
    many senders see it at the same time. True when this call paused it."""
    now = timezone.now()
    endpoint = Endpoint.objects.filter(pk=endpoint_id, paused_at__isnull=True).first()
    if endpoint is None or endpoint.failing_since is None:
        return False
    if not Endpoint.objects.filter(pk=endpoint_id, paused_at__isnull=True).update(paused_at=now):
        return False
    endpoints_changed()
    failing_since = endpoint.failing_since
    bus.publish(
        WebhookEndpointPaused(endpoint_id=endpoint_id, failing_since=failing_since.isoformat())
    )
    url = endpoint.url
    transaction.on_commit(
        lambda: mail_admins(
            f"Webhook endpoint {endpoint_id} paused",
            f"Every delivery to {url} has failed since {failing_since:%Y-%m-%d %H:%M} UTC, "
            "so it gets no new deliveries. See its recent attempts in the admin (Webhooks), "
            "fix the receiver, and resume it there.",
        ),
        robust=True,
    )
    return True


@unit_of_work
def endpoint_delete(endpoint: Endpoint) -> None:
    endpoint_id, url = endpoint.pk, endpoint.url
    endpoint.delete()
    endpoints_changed()
    bus.publish(WebhookEndpointDeleted(endpoint_id=endpoint_id, url=url))


@unit_of_work
def delivery_resend(delivery: Delivery) -> Delivery:
    """Send a delivery again, whatever became of it, with a fresh retry period."""
    now = timezone.now()
    delivery.status = Delivery.Status.PENDING
    delivery.next_attempt_at = now
    delivery.retry_until = now + timedelta(seconds=settings.WEBHOOKS_RETRY_PERIOD_SECONDS)
    delivery.finished_at = None
    delivery.claimed_until = None
    delivery.save(
        update_fields=["status", "next_attempt_at", "retry_until", "finished_at", "claimed_until"]
    )
    bus.publish(
        WebhookDeliveryResent(
            endpoint_id=delivery.endpoint_id,
            delivery_id=delivery.pk,
            event_id_sent=str(delivery.event_id),
        )
    )
    return delivery


def record_deliveries(events: Sequence[Event]) -> None:
    """The outbox's recorder (events.outbox.add_recorder): one delivery per (event, endpoint
    that wants it), in the transaction that records the events, so they exist if and only if
    the events commit."""
    endpoints = receiving_endpoints()
    if not endpoints:
        return
    now = timezone.now()
    until = now + timedelta(seconds=settings.WEBHOOKS_RETRY_PERIOD_SECONDS)
    rows = [
        Delivery(
            endpoint_id=endpoint.pk,
            event_id=event.event_id,
            event_type=event.type_name,
            next_attempt_at=now,
            retry_until=until,
            created_at=now,
        )
        for event in events
        for endpoint in endpoints
        if endpoint.wants(event.type_name)
    ]
    if rows:
        Delivery.objects.bulk_create(rows)


# Retention (webhooks_prune) ------------------------------------------------------------------

PRUNE_BATCH = 500


def prune_cutoff(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def _prunable(cutoff: datetime) -> tuple[QuerySet[Attempt], QuerySet[Delivery]]:
    finished = Q(status__in=[Delivery.Status.DELIVERED, Delivery.Status.DEAD])
    return (
        Attempt.objects.filter(attempted_at__lt=cutoff),
        Delivery.objects.filter(finished, finished_at__lt=cutoff),
    )


def prune_counts(cutoff: datetime) -> dict[str, int]:
    attempts, deliveries = _prunable(cutoff)
    return {"attempts": attempts.count(), "deliveries": deliveries.count()}


def prune(cutoff: datetime) -> dict[str, int]:
    """Delete old attempts, then old finished deliveries (with any attempts left), a batch per
    transaction, so that no lock is held for long."""
    counts = {"attempts": 0, "deliveries": 0}
    for queryset in _prunable(cutoff):
        while ids := list(queryset.values_list("pk", flat=True)[:PRUNE_BATCH]):
            with transaction.atomic():
                _, deleted = queryset.model.objects.filter(pk__in=ids).delete()
            counts["attempts"] += deleted.get(Attempt._meta.label, 0)
            counts["deliveries"] += deleted.get(Delivery._meta.label, 0)
    return counts
