import json as jsonlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from events.system.maintenance.management.accounts import account_id, add_account_arguments
from events.system.maintenance.services import user_data_export


class Command(BaseCommand):
    help = (
        "The right of access: everything Conduit keeps about an account (profile, articles, "
        "comments, favorites, follows, and the audit records about it or made by it), as JSON."
    )

    def add_arguments(self, parser) -> None:
        add_account_arguments(parser)
        parser.add_argument("--output", help="Write the JSON document to this file.")
        parser.add_argument("--json", action="store_true", help="Print the JSON document.")

    def handle(self, *, username, user_id, output, json: bool, **options) -> None:
        target = account_id(username=username, user_id=user_id, must_exist=True)
        export = user_data_export(user_id=target)
        document = jsonlib.dumps(export, indent=2, ensure_ascii=False)
        if output:
            try:
                Path(output).write_text(document + "\n", encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc}") from None
        if json:
            self.stdout.write(document)
            return
        counts = ", ".join(
            f"{part} {len(export[part])}"
            for part in ("articles", "comments", "favorites", "following", "followers")
        )
        self.stdout.write(
            f"{export['account']['username']} (account {target}): {counts}, "
            f"audit records {len(export['audit_trail'])}."
        )
        if output:
            self.stdout.write(f"Written to {output}.")
        else:
            self.stdout.write("--output FILE writes the document, --json prints it.")
