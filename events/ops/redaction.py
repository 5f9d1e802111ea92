"""The right to be forgotten, in the audit trail: the personal data of a forgotten account is
blanked in the stored payloads that hold it, through one audited service.

Which payload fields are personal data, and whose, each event class declares
(`Event.personal_data`: {"user_id": ("username", "email")}). The records keep their ids,
types, times, actors and causes, so the trail still tells what happened, never to whom by
name. The redaction is the one change an EventRecord allows (EventRecord.objects.redact),
and this module is its one caller; it records what it did as PersonalDataRedacted.
"""

from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

from events import bus
from events.core.event import event_types
from events.core.unit_of_work import flush_collected, unit_of_work
from events.models import REDACTED, EventRecord
from events.ops.events import PersonalDataRedacted


@dataclass(frozen=True, slots=True)
class PersonalRecord:
    """A stored event holding personal data of the account, and the fields still to blank."""

    event_id: UUID
    type: str
    fields: tuple[str, ...]


def personal_data_records(
    *, user_id: int, keep_aggregates: Collection[str] = ()
) -> list[PersonalRecord]:
    """The stored events whose payloads still hold personal data of account `user_id`
    (records already redacted are left out). Those of the aggregates in `keep_aggregates`
    ("article", "comment") are left whole: content kept public keeps its history."""
    # The events this transaction published (a cleanup's deletions) are redacted too.
    flush_collected()
    found = []
    for type_name, cls in sorted(event_types().items()):
        if not cls.personal_data or cls.aggregate_type in keep_aggregates:
            continue
        for subject_field, fields in cls.personal_data.items():
            records = EventRecord.objects.filter(
                type=type_name, **{f"payload__{subject_field}": user_id}
            ).values_list("event_id", "payload")
            for event_id, payload in records.iterator(chunk_size=1000):
                pending = tuple(f for f in fields if payload.get(f) not in (None, REDACTED))
                if pending:
                    found.append(PersonalRecord(event_id, type_name, pending))
    return found


@unit_of_work
def personal_data_redact(*, user_id: int, keep_aggregates: Collection[str] = ()) -> int:
    """Blank the personal data of account `user_id` in every stored payload that holds it
    and record PersonalDataRedacted; returns how many records changed (0, and nothing
    recorded, when none held any: a second run changes nothing)."""
    found = personal_data_records(user_id=user_id, keep_aggregates=keep_aggregates)
    if not found:
        return 0
    changed = EventRecord.objects.redact({record.event_id: record.fields for record in found})
    bus.publish(
        PersonalDataRedacted(
            user_id=user_id,
            records=changed,
            event_types=tuple(sorted({record.type for record in found})),
        )
    )
    return changed
