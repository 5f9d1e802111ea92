"""`manage.py preflight`: exits with one line per reason a production server must not start
(conduit/deployment.py); silent when it may. `make serve` and `make worker` run it first."""

from typing import Any

from django.core.management.base import BaseCommand

from conduit.deployment import refuse_to_serve


class Command(BaseCommand):
    help = "Refuse, in one line each, what a server must not start with (DEBUG off)."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_to_serve()
