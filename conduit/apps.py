from django.apps import AppConfig


class ConduitConfig(AppConfig):
    """The project's API conventions; an app so that its receivers (the read cache's
    invalidation) are wired like every other app's, and its checks run at start."""

    name = "conduit"

    def ready(self) -> None:
        from django.core import checks

        from conduit.deployment import check_deployment
        from conduit.sharedcache import check_shared_cache

        checks.register(check_shared_cache, checks.Tags.caches)
        checks.register(check_deployment, checks.Tags.security, deploy=True)
