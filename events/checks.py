"""System checks for the event system: events.E001 (event classes), events.E002 (handlers)."""

import dataclasses

from django.core import checks
from django.utils.module_loading import import_string

from events import bus as event_bus
from events.base import event_types


@checks.register()
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


@checks.register()
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
