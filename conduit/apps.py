from django.apps import AppConfig


class ConduitConfig(AppConfig):
    """The project's API conventions; an app so that its receivers (the read cache's
    invalidation) are wired like every other app's."""

    name = "conduit"
