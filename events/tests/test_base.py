import dataclasses
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

import pytest

from events.core.bus import EventBus, NoOutboxError
from events.core.event import (
    Event,
    EventRegistryError,
    event_type,
    event_types,
    from_payload,
    unregister,
)
from events.ops.checks import check_aggregates
from events.tests.support import SampleHappened


def test_events_are_frozen_slotted_and_keyword_only():
    event = SampleHappened(sample_id=1)

    with pytest.raises(dataclasses.FrozenInstanceError):
        event.sample_id = 2  # type: ignore[misc]
    assert not hasattr(event, "__dict__")
    with pytest.raises(TypeError):
        SampleHappened(1)  # type: ignore[misc]


def test_a_new_event_has_an_id_and_an_aware_utc_time():
    event = SampleHappened(sample_id=1)

    assert isinstance(event.event_id, UUID)
    assert event.occurred_at.tzinfo is UTC
    assert SampleHappened(sample_id=1).event_id != event.event_id


def test_payload_round_trips_through_the_registry():
    event = SampleHappened(sample_id=3, names=("x", "y"))

    rebuilt = from_payload(
        "tests.SampleHappened",
        1,
        event.to_payload(),
        event_id=str(event.event_id),
        occurred_at=event.occurred_at,
    )

    assert rebuilt == event
    assert isinstance(rebuilt.names, tuple)


def test_type_names_default_to_app_and_class_name():
    assert event_type("tests.SampleHappened") is SampleHappened
    assert Event.__dataclass_params__.frozen


def test_a_second_class_with_the_same_type_name_is_an_error():
    with pytest.raises(EventRegistryError, match=r"tests\.SampleHappened"):

        @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
        class Impostor(Event):
            type_name: ClassVar[str] = "tests.SampleHappened"


def test_unknown_type_names_are_an_error():
    with pytest.raises(EventRegistryError, match="Unknown event type"):
        event_type("tests.NeverDeclared")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PriceChanged(Event):
    """Version 2 renamed `amount` to `cents`."""

    type_name: ClassVar[str] = "tests.PriceChanged"
    version: ClassVar[int] = 2

    cents: int

    @classmethod
    def upcast(cls, version: int, payload: dict[str, Any]) -> dict[str, Any]:
        if version == 1:
            payload = {"cents": payload.pop("amount")}
        return super(PriceChanged, cls).upcast(cls.version, payload)


def test_old_payload_versions_are_upcast():
    occurred_at = datetime(2026, 1, 1, tzinfo=UTC)

    event = from_payload(
        "tests.PriceChanged",
        1,
        {"amount": 250},
        event_id="6f1c6d64-5f0c-4d8a-9a55-1b0b9b1f2a10",
        occurred_at=occurred_at,
    )

    assert event == PriceChanged(
        cents=250, event_id=UUID("6f1c6d64-5f0c-4d8a-9a55-1b0b9b1f2a10"), occurred_at=occurred_at
    )


def test_a_version_without_an_upcaster_is_an_error():
    with pytest.raises(EventRegistryError, match="no upcaster from version 7"):
        SampleHappened.from_payload(
            {"sample_id": 1},
            event_id="6f1c6d64-5f0c-4d8a-9a55-1b0b9b1f2a10",
            occurred_at=datetime.now(UTC),
            version=7,
        )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ParcelEvent(Event):
    """A fact about one parcel (an aggregate's base: declares it once)."""

    abstract: ClassVar[bool] = True
    aggregate_type: ClassVar[str] = "parcel"
    aggregate_id_field: ClassVar[str] = "parcel_id"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ParcelShipped(ParcelEvent):
    """A parcel left the depot."""

    type_name: ClassVar[str] = "tests.ParcelShipped"

    parcel_id: int


def test_an_aggregate_base_is_not_an_event_type_and_files_its_events_under_it():
    shipped = ParcelShipped(parcel_id=12)

    assert event_type("tests.ParcelShipped") is ParcelShipped
    assert ParcelEvent not in event_types().values()
    assert (shipped.aggregate_type, shipped.aggregate_id) == ("parcel", "12")
    assert (ParcelEvent.abstract, ParcelShipped.abstract) == (True, False)


def test_an_event_without_its_aggregates_id_field_fails_the_system_check():
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class ParcelLost(ParcelEvent):
        type_name: ClassVar[str] = "tests.ParcelLost"

        tracking_code: str

    try:
        errors = check_aggregates()
    finally:
        unregister("tests.ParcelLost")

    assert [(error.id, error.obj) for error in errors] == [("events.E003", ParcelLost)]
    assert check_aggregates() == []


def test_a_type_split_in_two_loads_each_old_record_as_the_class_it_now_is():
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class DoorClosed(Event):
        type_name: ClassVar[str] = "tests.DoorClosed"

        door: str

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class DoorMoved(Event):
        """Version 1 also meant "closed" (`closed` true); those records load as DoorClosed."""

        type_name: ClassVar[str] = "tests.DoorMoved"
        version: ClassVar[int] = 2

        door: str

        @classmethod
        def upcast_type(cls, version, payload):
            if version == 1 and payload.pop("closed"):
                return DoorClosed, payload
            return cls, payload

    occurred_at = datetime(2026, 1, 1, tzinfo=UTC)
    event_id = "6f1c6d64-5f0c-4d8a-9a55-1b0b9b1f2a10"
    try:
        closed, moved = (
            from_payload(
                "tests.DoorMoved",
                1,
                {"door": "front", "closed": closed},
                event_id=event_id,
                occurred_at=occurred_at,
            )
            for closed in (True, False)
        )
    finally:
        unregister("tests.DoorClosed")
        unregister("tests.DoorMoved")

    assert closed == DoorClosed(door="front", event_id=UUID(event_id), occurred_at=occurred_at)
    assert moved == DoorMoved(door="front", event_id=UUID(event_id), occurred_at=occurred_at)


def test_a_bus_without_an_outbox_refuses_to_publish():
    with pytest.raises(NoOutboxError, match="no outbox"):
        EventBus().publish(SampleHappened(sample_id=1))
