from django.apps import AppConfig


class ConduitConfig(AppConfig):
    """The project's API conventions; an app so that the read cache's renewals (every app's
    reads.RENEWED_BY, conduit/readcache.py) are wired at start-up, and its checks run."""

    name = "conduit"

    def ready(self) -> None:
        from django.core import checks

        from conduit.deployment import check_deployment
        from conduit.readcache import register_renewals
        from conduit.sharedcache import check_shared_cache

        checks.register(check_shared_cache, checks.Tags.caches)
        checks.register(check_deployment, checks.Tags.security, deploy=True)
        register_renewals()
