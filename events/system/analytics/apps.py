from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "events.system.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Imported here, not at the top: apps.py is imported before any model is loaded.
        from events.system.analytics import flush, slowqueries

        slowqueries.install()
        flush.install()
