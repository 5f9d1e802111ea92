from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and audit trail"

    def ready(self) -> None:
        from events import checks  # noqa: F401 - registers the system checks
        from events.registry import register_all_event_handlers

        register_all_event_handlers()
