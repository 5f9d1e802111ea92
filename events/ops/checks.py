"""System checks of the event system, registered by events/bootstrap.py: events.E001 (event
classes), events.E002 (background handlers), events.E003 (aggregate declarations), events.E004
(events that stay out of the audit trail), events.E005 (personal data declarations)."""

import dataclasses

from django.core import checks
from django.utils.module_loading import import_string

from events.core import bus as event_bus
from events.core.event import event_types


def check_event_classes(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for type_name, cls in sorted(event_types().items()):
        params = getattr(cls, "__dataclass_params__", None)
        if not dataclasses.is_dataclass(cls) or "__dataclass_fields__" not in cls.__dict__:
            problem = "is not a dataclass"
        elif not params.frozen:
            problem = "is not frozen"
        elif "__slots__" not in cls.__dict__:
            problem = "is not slotted"
        else:
            continue
        errors.append(
            checks.Error(
                f"Event {type_name} ({cls.__module__}.{cls.__qualname__}) {problem}.",
                hint="Declare it with @dataclass(frozen=True, slots=True, kw_only=True).",
                obj=cls,
                id="events.E001",
            )
        )
    return errors


def check_background_handlers(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    paths = {
        path: event_type
        for event_type in event_types().values()
        for path in event_bus.shared_event_bus.subscribers(event_type)["background"]
    }
    for path, event_type in sorted(paths.items()):
        try:
            import_string(path)
        except ImportError:
            errors.append(
                checks.Error(
                    f"Background handler {path} of {event_type.type_name} cannot be "
                    "imported by its dotted path, so the worker could not run it.",
                    hint="Use a module-level function, not a lambda, closure or method.",
                    obj=path,
                    id="events.E002",
                )
            )
    return errors


def check_aggregates(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for type_name, cls in sorted(event_types().items()):
        field = cls.aggregate_id_field
        if not field or not dataclasses.is_dataclass(cls):
            continue
        if field not in {f.name for f in dataclasses.fields(cls)}:
            errors.append(
                checks.Error(
                    f"Event {type_name} is filed under aggregate {cls.aggregate_type!r} by "
                    f"its field {field!r}, which it does not have.",
                    hint="Give the event that field, or extend another aggregate's base class.",
                    obj=cls,
                    id="events.E003",
                )
            )
    return errors


def check_unaudited_events(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for type_name, cls in sorted(event_types().items()):
        if cls.audited:
            continue
        if not cls.kept_as:
            problem = "does not say what is kept of it instead (kept_as)"
        elif event_bus.shared_event_bus.subscribers(cls)["background"]:
            problem = "has background subscribers, which the worker could not rebuild it for"
        else:
            continue
        errors.append(
            checks.Error(
                f"Event {type_name} stays out of the audit trail (audited = False) and {problem}.",
                hint="Subscribe its handlers inline, and set kept_as to what they keep of it.",
                obj=cls,
                id="events.E004",
            )
        )
    return errors


def check_personal_data(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for type_name, cls in sorted(event_types().items()):
        if not cls.personal_data or not dataclasses.is_dataclass(cls):
            continue
        names = {f.name for f in dataclasses.fields(cls)}
        declared = {
            name for subject, fields in cls.personal_data.items() for name in (subject, *fields)
        }
        missing = sorted(declared - names)
        if missing:
            errors.append(
                checks.Error(
                    f"Event {type_name} declares personal data in fields it does not have: "
                    f"{', '.join(missing)}.",
                    hint="personal_data maps the field holding the account's id to the "
                    "fields that are that account's personal data.",
                    obj=cls,
                    id="events.E005",
                )
            )
    return errors


EVENT_CHECKS = (
    check_event_classes,
    check_background_handlers,
    check_aggregates,
    check_unaudited_events,
    check_personal_data,
)
