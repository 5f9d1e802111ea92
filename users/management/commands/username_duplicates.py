"""`manage.py username_duplicates [--json]`: the accounts whose usernames differ only by
letter case, Unicode form (NFKC) or Cyrillic and Greek look-alikes, grouped. Migration
users.0005 stops when there are any, and names this command; an operator renames all but one
of each group. It reads only the id, username, email and join date, so it works before that
migration as after it."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from users.models import User
from users.validators import username_key


def username_duplicates() -> list[dict[str, Any]]:
    """Groups of accounts sharing a username key, oldest account first in each."""
    groups: dict[str, list[dict[str, Any]]] = {}
    rows = User.objects.order_by("date_joined", "pk").values_list(
        "pk", "username", "email", "date_joined"
    )
    for pk, username, email, joined in rows.iterator():
        groups.setdefault(username_key(username), []).append(
            {"id": pk, "username": username, "email": email, "date_joined": joined.isoformat()}
        )
    return [
        {"key": key, "accounts": accounts}
        for key, accounts in sorted(groups.items())
        if len(accounts) > 1
    ]


class Command(BaseCommand):
    help = "List accounts whose usernames collide by letter case, NFKC or look-alike letters."
    changes_data = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the groups as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        found = username_duplicates()
        if options["json"]:
            self.stdout.write(json.dumps(found, indent=2, ensure_ascii=False))
            return
        if not found:
            self.stdout.write("No usernames collide.")
            return
        for group in found:
            self.stdout.write(f"{group['key']}:")
            for account in group["accounts"]:
                self.stdout.write(
                    f"  id {account['id']}  {account['username']}  {account['email']}  "
                    f"joined {account['date_joined']}"
                )
        self.stdout.write(f"{len(found)} group(s): rename all but one account of each.")
