from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and audit trail"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from events import checks  # noqa: F401 - registers the system checks
        from events.registry import register_all_event_handlers

        # Every app's `events` module, so that every event type is registered (the worker
        # rebuilds events from the audit trail by type name) before any handler is wired.
        autodiscover_modules("events")
        register_all_event_handlers()
