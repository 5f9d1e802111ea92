from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "events.system.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from events.system.webhooks import receivers

        receivers.connect()
