"""Reads of the webhooks app: the event types an endpoint may choose, and what was sent."""

from django.db.models import QuerySet

from events.ops.catalog import catalogued_event_types
from events.system.webhooks.models import Attempt, Delivery, Endpoint

ALL_EVENTS = "*"


def subscribable_event_types() -> list[str]:
    """Every audited event type of the catalog (docs/events.md): those with a stored record
    to send. Page views and searches are not business changes and are never sent."""
    return [cls.type_name for cls in catalogued_event_types() if cls.audited]


def recent_attempts(endpoint: Endpoint, *, limit: int = 20) -> QuerySet[Attempt]:
    return Attempt.objects.filter(endpoint=endpoint).select_related("delivery")[:limit]


def receiving_endpoints() -> list[Endpoint]:
    """The endpoints that get new deliveries: active and not paused."""
    return list(
        Endpoint.objects.filter(active=True, paused_at__isnull=True).only(
            "id", "all_events", "event_types"
        )
    )


def deliveries_of(endpoint: Endpoint) -> QuerySet[Delivery]:
    return Delivery.objects.filter(endpoint=endpoint)
