"""Reads of the webhooks app: the event types an endpoint may choose, and what was sent."""

from django.db.models import QuerySet

from conduit.readcache import read_through
from events.ops.catalog import catalogued_event_types
from events.system.webhooks.models import Attempt, Delivery, Endpoint

ALL_EVENTS = "*"
# The read cache's scope of the receiving endpoints: every change to an endpoint renews it
# (services.endpoints_changed).
ENDPOINTS_SCOPE = "webhooks:endpoints"


def subscribable_event_types() -> list[str]:
    """Every audited event type of the catalog (docs/events.md): those with a stored record
    to send. Page views and searches are not business changes and are never sent."""
    return [cls.type_name for cls in catalogued_event_types() if cls.audited]


def recent_attempts(endpoint: Endpoint, *, limit: int = 20) -> QuerySet[Attempt]:
    return Attempt.objects.filter(endpoint=endpoint).select_related("delivery")[:limit]


def receiving_endpoints() -> tuple[Endpoint, ...]:
    """The endpoints that get new deliveries and are sent to: active and not paused. Read once
    per process and remembered until an endpoint changes (conduit.readcache: every change
    renews ENDPOINTS_SCOPE's stamp, shared by every process, before and right after its
    commit), so a write pays no query for them. Kept in the process's memory only, never the
    shared cache (they hold the signing secrets); read-only, like every remembered read."""
    return read_through((ENDPOINTS_SCOPE,), ("webhooks", "receiving"), _receiving, shared=False)


def _receiving() -> tuple[Endpoint, ...]:
    return tuple(Endpoint.objects.filter(active=True, paused_at__isnull=True))


def deliveries_of(endpoint: Endpoint) -> QuerySet[Delivery]:
    return Delivery.objects.filter(endpoint=endpoint)
