from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"

    def ready(self) -> None:
        # Registers the event types, so the worker can rebuild them from the audit trail.
        from users import events  # noqa: F401
