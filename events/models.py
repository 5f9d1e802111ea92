"""The audit trail (EventRecord) and the receipts that make background handlers run once."""

from collections.abc import Collection, Mapping
from uuid import UUID

from django.db import models
from django_tasks_db.models import DBTaskResult

from events.core.event import event_types

# What a redacted payload field holds instead of the personal data it held.
REDACTED = "[redacted]"


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit trail is append-only: records cannot be updated.")

    def delete(self):
        raise AppendOnlyError("The audit trail is append-only: records cannot be deleted.")

    def redact(self, fields_by_event: Mapping[UUID, Collection[str]]) -> int:
        """The one change the audit trail allows: the named fields of each record's payload
        get REDACTED instead of their value (a null stays null), and so does its
        aggregate_id when it copies one of them (a client's address). Nothing else about a
        record can change. The right to be forgotten needs it; only
        events.ops.redaction.personal_data_redact calls it, and it records the redaction as
        an event. Returns how many records changed."""
        changed = 0
        ids = list(fields_by_event)
        for start in range(0, len(ids), 500):
            chunk = self.filter(pk__in=ids[start : start + 500]).only("type", "payload")
            for record in chunk:
                blank = fields_by_event[record.pk]
                payload = {
                    name: REDACTED if name in blank and value is not None else value
                    for name, value in record.payload.items()
                }
                if payload == record.payload:
                    continue
                redacted: dict[str, object] = {"payload": payload}
                cls = event_types().get(record.type)
                if cls is not None and cls.aggregate_id_field in blank:
                    redacted["aggregate_id"] = REDACTED
                # Past this class's guard on purpose: models.QuerySet's own update.
                changed += models.QuerySet.update(self.filter(pk=record.pk), **redacted)
        return changed

    update.queryset_only = True
    delete.queryset_only = True


class EventRecord(models.Model):
    """One published event, written in the transaction that published it."""

    event_id = models.UUIDField(primary_key=True, editable=False)
    type = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField()
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    aggregate_type = models.CharField(max_length=50, blank=True)
    # Wide enough for any aggregate's id, a tag's name (100) included.
    aggregate_id = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    causation_id = models.UUIDField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        # The admin's name for the list (the docs use it too).
        verbose_name_plural = "audit trail"
        ordering = ["occurred_at"]
        indexes = [
            models.Index(fields=["type", "occurred_at"], name="eventrecord_type_time"),
            models.Index(
                fields=["aggregate_type", "aggregate_id", "occurred_at"],
                name="eventrecord_aggregate",
            ),
            models.Index(fields=["request_id", "occurred_at"], name="eventrecord_request"),
            models.Index(fields=["occurred_at"], name="eventrecord_time"),
            models.Index(fields=["causation_id"], name="eventrecord_causation"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The audit trail is append-only: records cannot be updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit trail is append-only: records cannot be deleted.")


class DeliveryReceipt(models.Model):
    """Proof that `handler` has handled `event_id`; written in the handler's own transaction,
    so a redelivered event finds it and does nothing."""

    event = models.ForeignKey(EventRecord, on_delete=models.PROTECT, db_constraint=False)
    handler = models.CharField(max_length=200)
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="deliveryreceipt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} handled {self.event_id}"


class Delivery(DBTaskResult):
    """The delivery tasks of the event system, for the admin (a proxy of django_tasks_db's)."""

    class Meta:
        proxy = True
        verbose_name = "event delivery"
        verbose_name_plural = "event deliveries"

    @property
    def event_id(self) -> str:
        return self.args_kwargs["args"][0]

    @property
    def handler(self) -> str:
        return self.args_kwargs["args"][1]

    @property
    def attempts(self) -> int:
        return len(self.worker_ids)
