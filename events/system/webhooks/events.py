"""Webhook events (stored as `webhooks.<name>`): an endpoint was created, changed, had its
secret rotated, was paused (failing for too long) or deleted, and a delivery was resent.
Published by the webhooks services (admin, commands, the sender). No event carries a secret."""

from dataclasses import dataclass
from typing import ClassVar

from events.core.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEvent(Event):
    """A fact about one webhook endpoint."""

    abstract: ClassVar[bool] = True
    category: ClassVar[str] = "webhooks"
    aggregate_type: ClassVar[str] = "webhook_endpoint"
    aggregate_id_field: ClassVar[str] = "endpoint_id"
    # Why no handler consumes them (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "an operator's change to a webhook endpoint: the audit trail is its record (who changed "
        "what, when); the endpoint's row is the state the sender reads, and any endpoint may "
        "subscribe to these events like to any other"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpointCreated(WebhookEvent):
    """Staff (`actor` in the audit trail) created an endpoint for `event_types` (["*"]: all)."""

    type_name: ClassVar[str] = "webhooks.EndpointCreated"

    endpoint_id: int
    url: str
    event_types: tuple[str, ...]
    active: bool
    include_personal: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpointChanged(WebhookEvent):
    """An endpoint's settings changed: `changed` names the fields; the rest is how it is now."""

    type_name: ClassVar[str] = "webhooks.EndpointChanged"

    endpoint_id: int
    changed: tuple[str, ...]
    url: str
    event_types: tuple[str, ...]
    active: bool
    include_personal: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSecretRotated(WebhookEvent):
    """An endpoint got a new signing secret; the old one signs too until `overlap_until`."""

    type_name: ClassVar[str] = "webhooks.SecretRotated"

    endpoint_id: int
    overlap_until: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpointPaused(WebhookEvent):
    """Every attempt to an endpoint failed since `failing_since`, for longer than
    WEBHOOKS_PAUSE_AFTER_SECONDS: it gets no new deliveries until staff resume it."""

    type_name: ClassVar[str] = "webhooks.EndpointPaused"

    endpoint_id: int
    failing_since: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpointDeleted(WebhookEvent):
    """An endpoint was deleted, with its deliveries and attempts."""

    type_name: ClassVar[str] = "webhooks.EndpointDeleted"

    endpoint_id: int
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookDeliveryResent(WebhookEvent):
    """Staff asked for a delivery to be sent again (its retry period starts anew)."""

    type_name: ClassVar[str] = "webhooks.DeliveryResent"

    endpoint_id: int
    delivery_id: int
    event_id_sent: str
