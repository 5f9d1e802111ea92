"""Webhook events: an endpoint was created, changed, had its secret rotated, was paused
(failing for too long) or deleted, and a delivery was resent. Published by the webhooks
services (admin, commands, the sender). No event ever carries a secret."""

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
    changes_reads: ClassVar[bool] = False


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpointCreated(WebhookEvent):
    """Staff (`actor` in the audit trail) created an endpoint for `event_types` (["*"]: all)."""

    endpoint_id: int
    url: str
    event_types: tuple[str, ...]
    active: bool
    include_personal: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpointChanged(WebhookEvent):
    """An endpoint's settings changed: `changed` names the fields; the rest is how it is now."""

    endpoint_id: int
    changed: tuple[str, ...]
    url: str
    event_types: tuple[str, ...]
    active: bool
    include_personal: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSecretRotated(WebhookEvent):
    """An endpoint got a new signing secret; the old one signs too until `overlap_until`."""

    endpoint_id: int
    overlap_until: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpointPaused(WebhookEvent):
    """Every attempt to an endpoint failed since `failing_since`, for longer than
    WEBHOOKS_PAUSE_AFTER_SECONDS: it gets no new deliveries until staff resume it."""

    endpoint_id: int
    failing_since: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpointDeleted(WebhookEvent):
    """An endpoint was deleted, with its deliveries and attempts."""

    endpoint_id: int
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookDeliveryResent(WebhookEvent):
    """Staff asked for a delivery to be sent again (its retry period starts anew)."""

    endpoint_id: int
    delivery_id: int
    event_id_sent: str
