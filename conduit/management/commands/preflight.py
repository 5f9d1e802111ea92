"""`manage.py preflight`: exits with one line per reason a production server must not start
(conduit/deployment.py); silent when it may. `make serve` and `make worker` run it first."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from conduit.deployment import problems, refuse_to_serve


class Command(BaseCommand):
    help = "Refuse, in one line each, what a server must not start with (DEBUG off)."
    requires_system_checks: list[str] = []
    changes_data = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            help='Print {"ok": ..., "problems": {...}} as well (the lines still go to stderr).',
        )

    def handle(self, *args: Any, json: bool = False, **options: Any) -> None:
        if json:
            found = problems()
            self.stdout.write(json_dumps({"ok": not found, "problems": found}))
        refuse_to_serve()


def json_dumps(document: dict) -> str:
    return json.dumps(document, indent=2, default=str)
