from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "events.moderation"
    label = "moderation"
