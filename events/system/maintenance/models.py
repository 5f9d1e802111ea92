"""What maintenance remembers: the alerts that went to staff (alerts.py)."""

from django.db import models
from django.utils import timezone


class StaffAlert(models.Model):
    """The alert of one kind that went to staff (ADMINS) in one quarter hour: the first event
    of the kind in the quarter sends it, the others of that quarter are only counted, from
    the audit trail, in the next quarter's alert (events/system/maintenance/alerts.py). The unique
    (kind, quarter) is what keeps it to one email a quarter, across processes and retries."""

    kind = models.CharField(max_length=32)
    quarter = models.DateTimeField()
    event_id = models.UUIDField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "quarter"], name="staffalert_once_a_quarter")
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert of {self.quarter:%Y-%m-%d %H:%M}"
