"""The Event base class and the type registry that maps stable type names to event classes."""

import dataclasses
import types
import typing
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4


class EventRegistryError(Exception):
    pass


_registry: dict[str, type["Event"]] = {}


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something that happened. Subclasses are frozen, slotted, keyword-only dataclasses of
    ids and plain values, named in the past tense, and register under `<app>.<ClassName>`
    (or the `type_name` they declare), which is what the audit trail stores.

    The entity an event is about is declared once per aggregate, on an abstract base class
    (`abstract = True`, never published, not registered) that its events extend:

        @dataclass(frozen=True, slots=True, kw_only=True)
        class ArticleEvent(Event):
            abstract: ClassVar[bool] = True
            aggregate_type: ClassVar[str] = "article"
            aggregate_id_field: ClassVar[str] = "article_id"
    """

    event_id: UUID = dataclasses.field(default_factory=uuid4)
    occurred_at: datetime = dataclasses.field(default_factory=_utcnow)

    version: ClassVar[int] = 1
    type_name: ClassVar[str] = ""
    category: ClassVar[str] = "domain"
    # The entity the event is about, for the audit trail: ("article", "article_id").
    aggregate_type: ClassVar[str] = ""
    aggregate_id_field: ClassVar[str] = ""
    # A base class that only declares what its events share (the aggregate).
    abstract: ClassVar[bool] = True
    # Whether a published event is appended to the audit trail (events/outbox.py). A class
    # that is no business change (a page view, a search) says False, and says in `kept_as`
    # what is kept of it instead (a count, a daily total). It still goes through the bus to
    # its inline subscribers and is counted in the metrics; it can have no background
    # subscriber, since the worker rebuilds an event from its record (check events.E004).
    audited: ClassVar[bool] = True
    kept_as: ClassVar[str] = ""
    # The payload fields that are personal data, keyed by the field holding the id of the
    # account they belong to: {"user_id": ("username", "email")}. When that account is
    # forgotten (`manage.py cleanup_user_data`), events.ops.redaction blanks them in the
    # stored payloads and keeps the ids; events.E005 checks the names.
    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Why no handler consumes it, for a class that has none (docs/events.md says it, and
    # events/tests/test_operations.py holds every class to a consumer or a reason).
    unconsumed_because: ClassVar[str] = ""

    def __init_subclass__(cls) -> None:
        # No zero-argument super() here: it breaks in slotted dataclasses (Python < 3.14).
        # Only a class that says so itself is abstract: its subclasses are events.
        cls.abstract = cls.__dict__.get("abstract", False)
        if cls.abstract:
            return
        if "type_name" not in cls.__dict__:
            cls.type_name = f"{cls.__module__.split('.')[0]}.{cls.__name__}"
        existing = _registry.get(cls.type_name)
        # `dataclass(slots=True)` builds a second class from the first: same module and
        # name, so it replaces its unslotted draft instead of clashing with it (the name, not
        # the qualname: a local class gets its qualname back only after this hook ran).
        if existing is not None and (existing.__module__, existing.__name__) != (
            cls.__module__,
            cls.__name__,
        ):
            raise EventRegistryError(
                f"Event type name {cls.type_name!r} is used by both "
                f"{existing.__module__}.{existing.__qualname__} and "
                f"{cls.__module__}.{cls.__qualname__}."
            )
        _registry[cls.type_name] = cls

    @property
    def aggregate_id(self) -> str:
        if not self.aggregate_id_field:
            return ""
        # An optional id (a login attempt for an email no account has) files under none.
        value = getattr(self, self.aggregate_id_field)
        return "" if value is None else str(value)

    def to_payload(self) -> dict[str, Any]:
        """The event's own fields as JSON-ready values (event_id and occurred_at are stored
        in their own columns)."""
        return {
            field.name: _to_json(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if field.name not in ("event_id", "occurred_at")
        }

    @classmethod
    def upcast(cls, version: int, payload: dict[str, Any]) -> dict[str, Any]:
        """Turn a payload stored at an older `version` into one of the current version."""
        if version != cls.version:
            raise EventRegistryError(
                f"{cls.type_name} has no upcaster from version {version} to {cls.version}."
            )
        return payload

    @classmethod
    def upcast_type(
        cls, version: int, payload: dict[str, Any]
    ) -> tuple[type["Event"], dict[str, Any]]:
        """The class a payload stored under this type at `version` loads as, and the payload
        at that class's current version: this class through `upcast`, unless the type was
        split since (a class that gave one of its meanings to a new type overrides this)."""
        return cls, cls.upcast(version, payload)

    @classmethod
    def from_payload(
        cls, payload: dict[str, Any], *, event_id: UUID | str, occurred_at: datetime, version: int
    ) -> "Event":
        """Rebuild a stored event of this type (possibly as the class it was split into)."""
        target, payload = cls.upcast_type(version, dict(payload))
        hints = typing.get_type_hints(target)
        values = {name: _from_json(hints.get(name, Any), value) for name, value in payload.items()}
        return target(event_id=UUID(str(event_id)), occurred_at=occurred_at, **values)


def event_types() -> dict[str, type[Event]]:
    return dict(_registry)


def event_type(type_name: str) -> type[Event]:
    try:
        return _registry[type_name]
    except KeyError:
        raise EventRegistryError(f"Unknown event type {type_name!r}.") from None


def unregister(type_name: str) -> None:
    """Forget a type (for tests that declare throw-away event classes)."""
    _registry.pop(type_name, None)


def from_payload(
    type_name: str,
    version: int,
    payload: dict[str, Any],
    *,
    event_id: UUID | str,
    occurred_at: datetime,
) -> Event:
    return event_type(type_name).from_payload(
        payload, event_id=event_id, occurred_at=occurred_at, version=version
    )


def _to_json(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (tuple, list, frozenset)):
        return [_to_json(item) for item in value]
    return value


def _from_json(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _from_json(options[0], value) if len(options) == 1 else value
    if hint is UUID:
        return UUID(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if origin in (tuple, frozenset):
        args = [arg for arg in typing.get_args(hint) if arg is not Ellipsis]
        item_hint = args[0] if args else Any
        return origin(_from_json(item_hint, item) for item in value)
    return value
