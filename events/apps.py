from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and audit trail"

    def ready(self) -> None:
        # Imported here, not at the top: apps.py is imported before any model is loaded, and
        # the bootstrap needs the outbox's models.
        from events.bootstrap import bootstrap

        bootstrap()
