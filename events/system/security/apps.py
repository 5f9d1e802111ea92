from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "events.system.security"
    label = "security"

    def ready(self) -> None:
        from django.core import checks

        from events.system.security.checks import check_rate_limits
        from events.system.security.hooks import record_login_attempt, refuse_locked_account
        from users.signals import login_attempted, login_checking

        # users may not import security (security builds on it): it offers the hooks.
        login_checking.connect(refuse_locked_account, dispatch_uid="security.refuse_locked")
        login_attempted.connect(record_login_attempt, dispatch_uid="security.record_attempt")
        checks.register(check_rate_limits)
