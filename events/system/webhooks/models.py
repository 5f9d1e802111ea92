"""Webhook endpoints, one delivery per (event, endpoint), and each attempt to send one
(docs/webhooks.md)."""

from django.db import models

from events.models import EventRecord


class Endpoint(models.Model):
    """An HTTPS URL that receives the events of the types it chose (or all of them), signed
    with its secret. The secret is stored (signing needs it) but shown once, when it is made."""

    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    all_events = models.BooleanField(default=False)
    event_types = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    include_personal = models.BooleanField(
        default=False, help_text="Send the fields the event catalog marks as personal data."
    )
    secret = models.CharField(max_length=100, editable=False)
    # A rotated secret still signs until then (WEBHOOKS_ROTATION_OVERLAP_SECONDS).
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Since when every attempt failed (None: the last one succeeded); paused when too long.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, type_name: str) -> bool:
        return self.all_events or type_name in self.event_types


class Delivery(models.Model):
    """One event for one endpoint: sent until a 2xx, retried with backoff until `retry_until`,
    then dead. A sender holds it while `claimed_until` is in the future."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        DEAD = "dead"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        EventRecord, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    event_type = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    retry_until = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhooks_one_per_event")
        ]
        indexes = [
            # The sender's claim: an endpoint's due pending deliveries, oldest first.
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                name="webhooks_due_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["status", "finished_at"], name="webhooks_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} to {self.endpoint_id}"


class Attempt(models.Model):
    """One try at sending a delivery: the answer's status, how long it took, its first bytes,
    or why there was none (a timeout, a refused address)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["endpoint", "-id"], name="webhooks_attempts_idx")]

    def __str__(self) -> str:
        return f"{self.status_code or self.error} after {self.latency_ms} ms"
