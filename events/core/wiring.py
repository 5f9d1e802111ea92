"""Wiring: each app's `receivers` module holds one table, `EVENT_HANDLERS`, of event -> handlers.

    EVENT_HANDLERS = {
        ArticleCreated: [notify_followers, background(index_article_for_search)],
    }

A plain function runs inline after commit; `background(fn)` runs durably in the worker. A
background handler marked `@handles_batches` takes a sequence of events instead of one: the
worker hands it every delivery of a claimed batch at once (docs/architecture.md, "The worker").
events/bootstrap.py subscribes every installed app's table once, at start-up.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps

from events.core import bus as event_bus
from events.core.event import Event


@dataclass(frozen=True, slots=True)
class Background:
    handler: Callable[[Any], Any]


def background(handler: Callable[[Any], Any]) -> Background:
    return Background(handler)


def handles_batches[Handler: Callable[..., Any]](handler: Handler) -> Handler:
    """Mark a background handler as one that takes `events`, a sequence of its events in the
    order they were published, and handles them as one: a statement for the batch instead of
    statements per event. The worker runs it once per claimed batch, with the batch's
    receipts, in one transaction; a failure runs each event again on its own, so one bad
    event fails alone. What it publishes for one of them, it publishes inside
    `events.core.context.handling(event.event_id)`."""
    handler.takes_batches = True  # type: ignore[attr-defined]
    return handler


def takes_batches(handler: Callable[..., Any]) -> bool:
    return getattr(handler, "takes_batches", False)


HandlerTable = Mapping[type[Event], Sequence[Callable[[Any], Any] | Background]]


def handler_tables() -> dict[str, HandlerTable]:
    """`EVENT_HANDLERS` of every installed app that has a receivers module."""
    return app_tables("receivers", "EVENT_HANDLERS")


def app_tables(module: str, name: str) -> dict[str, Any]:
    """The table called `name` in the `module` of every installed app that has one, by app
    label (receivers.EVENT_HANDLERS; reads.RENEWED_BY, conduit.readcache)."""
    tables = {}
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.{module}"
        if find_spec(module_name) is None:
            continue
        table = getattr(import_module(module_name), name, None)
        if table is not None:
            tables[app_config.label] = table
    return tables


def register_handlers(table: HandlerTable, bus: event_bus.EventBus | None = None) -> None:
    target = bus or event_bus.shared_event_bus
    for event_type, handlers in table.items():
        for entry in handlers:
            if isinstance(entry, Background):
                target.subscribe(event_type, entry.handler, background=True)
            else:
                target.subscribe(event_type, entry)


def register_all_event_handlers(bus: event_bus.EventBus | None = None) -> None:
    """Subscribe every app's table; subscribing twice is harmless (dispatch_uid)."""
    for table in handler_tables().values():
        register_handlers(table, bus)
