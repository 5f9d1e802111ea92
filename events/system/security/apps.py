from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "events.system.security"
    label = "security"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_save

        from events.system.security.checks import check_rate_limits
        from events.system.security.hooks import (
            announce_account_changes,
            record_login_attempt,
            refuse_locked_account,
        )
        from users.models import User
        from users.signals import login_attempted, login_checking

        # users may not import security (security builds on it): it offers the hooks.
        login_checking.connect(refuse_locked_account, dispatch_uid="security.refuse_locked")
        login_attempted.connect(record_login_attempt, dispatch_uid="security.record_attempt")
        post_save.connect(
            announce_account_changes, sender=User, dispatch_uid="security.account_changes"
        )
        checks.register(check_rate_limits)
