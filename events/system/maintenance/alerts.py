"""What staff (Django's ADMINS, through mail_admins) hear of: suspicious logins, traffic
spikes, spam bursts, constraint violations and orphaned data. At most one email per kind per
quarter hour: the first event of a kind in a quarter sends it, with the count of the events of
that kind the audit trail recorded since the previous alert of the kind; the others of the
quarter send nothing (a digest, not a flood).

Background handlers (events/system/maintenance/receivers.py). Once per kind and quarter: the handler
records a StaffAlert, unique by kind and quarter, before sending, in the delivery's
transaction, so a failed send rolls it back for the retry, and a second delivery of the same
event, or any other event of the kind in that quarter, finds it and sends nothing.
"""

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.mail import mail_admins
from django.db import IntegrityError, transaction

from events.core.event import Event
from events.core.wiring import handles_batches
from events.models import EventRecord
from events.system.maintenance.models import StaffAlert

QUARTER = timedelta(minutes=15)

TITLES = {
    "suspicious_login": "Suspicious login activity",
    "high_traffic": "Traffic spike",
    "spam": "Spam detected",
    "constraint_violation": "Database constraint violation",
    "orphaned_data": "Orphaned data",
}


def quarter_of(at: datetime) -> datetime:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def alert_staff(kind: str, event: Event) -> bool:
    """Tell staff of `event` unless an alert of `kind` went out this quarter hour already;
    True when this call sent it."""
    quarter = quarter_of(event.occurred_at)
    if StaffAlert.objects.filter(kind=kind, quarter=quarter).exists():
        return False
    previous = StaffAlert.objects.filter(kind=kind, quarter__lt=quarter).order_by("-quarter")
    previous = previous.first()
    try:
        with transaction.atomic():
            StaffAlert.objects.create(kind=kind, quarter=quarter, event_id=event.event_id)
    except IntegrityError:  # a concurrent delivery sent this quarter's alert
        return False
    mail_admins(f"{TITLES[kind]}: {event.type_name}", _digest(kind, event, quarter, previous))
    return True


def _digest(kind: str, event: Event, quarter: datetime, previous: StaffAlert | None) -> str:
    fields = "\n".join(
        f"  {field.name}: {getattr(event, field.name)}" for field in dataclasses.fields(event)
    )
    lines = [
        f"{TITLES[kind]} at {event.occurred_at:%Y-%m-%d %H:%M:%S} UTC:",
        "",
        fields,
        "",
        f"Further events of this kind until {quarter + QUARTER:%H:%M} UTC send no email; the",
        "next alert counts them. Every one is in the admin's Audit trail.",
    ]
    if previous is not None:
        held = (
            EventRecord.objects.filter(
                type=event.type_name, occurred_at__gte=previous.quarter, occurred_at__lt=quarter
            )
            .exclude(event_id=previous.event_id)
            .count()
        )
        lines += [
            "",
            f"Since the previous alert of this kind ({previous.quarter:%Y-%m-%d %H:%M} UTC), "
            f"{held} more were recorded without an email.",
        ]
    return "\n".join(lines) + "\n"


def alert_staff_of_batch(kind: str, events: Sequence[Event]) -> None:
    """Tell staff of the first event of each quarter hour among `events` (the worker's
    batch), unless an alert of `kind` went out that quarter already: a burst costs one
    query per batch."""
    firsts: dict[datetime, Event] = {}
    for event in events:
        firsts.setdefault(quarter_of(event.occurred_at), event)
    for event in firsts.values():
        alert_staff(kind, event)


@handles_batches
def alert_suspicious_login(events: Sequence[Event]) -> None:
    alert_staff_of_batch("suspicious_login", events)


@handles_batches
def alert_high_traffic(events: Sequence[Event]) -> None:
    alert_staff_of_batch("high_traffic", events)


@handles_batches
def alert_spam(events: Sequence[Event]) -> None:
    alert_staff_of_batch("spam", events)


@handles_batches
def alert_constraint_violation(events: Sequence[Event]) -> None:
    alert_staff_of_batch("constraint_violation", events)


@handles_batches
def alert_orphaned_data(events: Sequence[Event]) -> None:
    alert_staff_of_batch("orphaned_data", events)
