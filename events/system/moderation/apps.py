from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "events.system.moderation"
    label = "moderation"
