import json

from django.core.management.base import BaseCommand

from events.ops.catalog import event_catalog, render_markdown


class Command(BaseCommand):
    help = "List every event type: category, version, fields, description and subscribers."

    changes_data = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["md", "json"], default="md")
        parser.add_argument("--json", action="store_true", help="The same as --format json.")

    def handle(self, *args, **options) -> None:
        catalog = event_catalog()
        if options["format"] == "json" or options["json"]:
            self.stdout.write(json.dumps(catalog, indent=2))
        else:
            self.stdout.write(render_markdown(catalog), ending="")
