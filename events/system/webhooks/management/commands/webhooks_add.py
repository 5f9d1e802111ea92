import json as jsonlib

from django.core.management.base import BaseCommand, CommandError

from events.system.webhooks import services
from events.system.webhooks.safety import UnsafeURL


class Command(BaseCommand):
    help = (
        "Create a webhook endpoint for the given event types ('*': all) and print its id and "
        "signing secret, once. Refuses a URL that is not https:// on a public address unless "
        "WEBHOOKS_ALLOW_PRIVATE=1."
    )

    changes_data = True

    def add_arguments(self, parser) -> None:
        parser.add_argument("url")
        parser.add_argument(
            "--events", required=True, metavar="TYPE[,TYPE...]", help="Catalog types, or '*'."
        )
        parser.add_argument("--description", default="")
        parser.add_argument(
            "--include-personal", action="store_true", help="Send the personal fields too."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check, create nothing.")
        parser.add_argument(
            "--json", action="store_true", help='{"id": ..., "secret": "whsec_..."} alone.'
        )

    def handle(self, *, url, events, description, include_personal, dry_run, json, **options):
        types = [name.strip() for name in events.split(",") if name.strip()]
        try:
            if dry_run:
                services.validate_url(url)
                services.clean_event_types(types)
                endpoint_id, secret = None, None
            else:
                endpoint, secret = services.endpoint_create(
                    url=url,
                    event_types=types,
                    description=description,
                    include_personal=include_personal,
                )
                endpoint_id = endpoint.pk
        except (UnsafeURL, services.InvalidEndpoint) as exc:
            raise CommandError(f"{url}: {exc}") from None
        if json:
            document = {"id": endpoint_id, "secret": secret}
            if dry_run:
                document |= {"dry_run": True, "url": url, "events": types}
            self.stdout.write(jsonlib.dumps(document))
        elif dry_run:
            self.stdout.write(f"Would create an endpoint for {url} ({', '.join(types)}).")
        else:
            self.stdout.write(f"Endpoint {endpoint_id} created for {url}.")
            self.stdout.write(f"Signing secret (shown once, keep it now): {secret}")
