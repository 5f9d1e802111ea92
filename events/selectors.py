"""Read models of the event system for operators: stats and the catalog."""

import dataclasses
import inspect
import typing
from collections import defaultdict
from typing import Any

from django.db.models import Count
from django.tasks import TaskResultStatus

from events import bus as event_bus
from events.base import Event, event_types
from events.delivery import deliveries, delivery_backlog
from events.models import DeliveryReceipt, EventRecord

_HANDLER_OUTCOMES = ("handled", "pending", "retrying", "running", "dead")


def event_stats() -> dict[str, Any]:
    published = dict(
        EventRecord.objects.values_list("type").annotate(count=Count("event_id")).order_by("type")
    )
    handlers: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_HANDLER_OUTCOMES, 0))
    for handler, count in (
        DeliveryReceipt.objects.values_list("handler").annotate(count=Count("id")).order_by()
    ):
        handlers[handler]["handled"] = count
    unfinished = deliveries().exclude(status=TaskResultStatus.SUCCESSFUL)
    for args_kwargs, status, error in unfinished.values_list(
        "args_kwargs", "status", "exception_class_path"
    ).iterator():
        outcome = {
            TaskResultStatus.READY: "retrying" if error else "pending",
            TaskResultStatus.RUNNING: "running",
            TaskResultStatus.FAILED: "dead",
        }[status]
        handlers[args_kwargs["args"][1]][outcome] += 1
    return {
        "published": published,
        "handlers": dict(sorted(handlers.items())),
        "deliveries": delivery_backlog(),
    }


def catalogued_event_types() -> list[type[Event]]:
    """The events the project ships: those declared in an app's `events` module or in
    `events.system`; events declared by tests are left out."""
    return sorted(
        (
            cls
            for cls in event_types().values()
            if cls.__module__.endswith(".events") or cls.__module__.startswith("events.system")
        ),
        key=lambda cls: cls.type_name,
    )


def event_catalog() -> list[dict[str, Any]]:
    entries = []
    for cls in catalogued_event_types():
        hints = typing.get_type_hints(cls)
        subscribers = event_bus.shared_event_bus.subscribers(cls)
        entries.append(
            {
                "type": cls.type_name,
                "class": f"{cls.__module__}.{cls.__qualname__}",
                "category": cls.category,
                "version": cls.version,
                "aggregate": cls.aggregate_type,
                "description": inspect.cleandoc(cls.__doc__ or ""),
                "fields": [
                    {"name": field.name, "type": _type_name(hints[field.name])}
                    for field in dataclasses.fields(cls)
                ],
                "subscribers": subscribers,
            }
        )
    return entries


def _type_name(hint: Any) -> str:
    if isinstance(hint, type) and not typing.get_args(hint):
        return hint.__name__
    return str(hint).replace("typing.", "").replace("datetime.", "").replace("uuid.", "")
