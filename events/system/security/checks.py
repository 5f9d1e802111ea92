"""System checks: a rate that cannot be read fails at start-up, not on the first request."""

from typing import Any

from django.conf import settings
from django.core import checks

from events.system.security.throttling import SCOPES, parse_rate


def check_rate_limits(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors = []
    for scope in SCOPES:
        rate = settings.RATE_LIMIT_RATES.get(scope)
        try:
            count, _seconds = parse_rate(rate)
            if count < 1:
                raise ValueError(rate)
        except (AttributeError, KeyError, TypeError, ValueError):
            errors.append(
                checks.Error(
                    f"The {scope!r} rate limit {rate!r} is not a rate.",
                    hint='Write it as "<requests>/<second|minute|hour|day>", e.g. "120/minute".',
                    id="security.E001",
                )
            )
    return errors
