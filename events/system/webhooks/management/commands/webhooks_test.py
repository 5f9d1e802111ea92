import json as jsonlib
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from events.system.webhooks import signing, transport
from events.system.webhooks.models import Endpoint
from events.system.webhooks.safety import UnsafeURL, check_url


class Command(BaseCommand):
    help = (
        "Send one signed test event (type webhooks.test) to a URL, with the secret of the "
        "endpoint registered for it (or a throwaway one), and print the answer. Refuses a "
        "URL that is not https:// on a public address unless WEBHOOKS_ALLOW_PRIVATE=1."
    )

    # It sends a request (it writes no row; --dry-run checks and builds it, sends nothing).
    changes_data = True

    def add_arguments(self, parser) -> None:
        parser.add_argument("url")
        parser.add_argument("--dry-run", action="store_true", help="Check the URL, send nothing.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *, url: str, dry_run: bool, json: bool, **options) -> None:
        try:
            check_url(url)
        except UnsafeURL as exc:
            raise CommandError(f"{url}: {exc}") from None
        endpoint = Endpoint.objects.filter(url=url).order_by("-id").first()
        secrets = [endpoint.secret] if endpoint else [signing.new_secret()]
        msg_id = str(uuid.uuid4())
        body = jsonlib.dumps(
            {
                "id": msg_id,
                "type": "webhooks.test",
                "version": 1,
                "timestamp": timezone.now().isoformat(),
                "data": {"message": "A test event from Conduit."},
            },
            separators=(",", ":"),
        ).encode()
        if dry_run:
            result = {"url": url, "id": msg_id, "sent": False, "dry_run": True}
        else:
            outcome = transport.post(url, msg_id=msg_id, body=body, secrets=secrets)
            result = {
                "url": url,
                "id": msg_id,
                "sent": True,
                "ok": outcome.ok,
                "status": outcome.status_code,
                "latency_ms": outcome.latency_ms,
                "answer": outcome.excerpt[:200],
                "error": outcome.error,
                "signed_with": "the endpoint's secret" if endpoint else "a throwaway secret",
            }
        if json:
            self.stdout.write(jsonlib.dumps(result))
            return
        if dry_run:
            self.stdout.write(f"Would send test event {msg_id} to {url}.")
            return
        verdict = "delivered" if outcome.ok else f"failed: {outcome.error}"
        self.stdout.write(
            f"Test event {msg_id} to {url}: {verdict} "
            f"(status {outcome.status_code or '-'}, {outcome.latency_ms} ms; signed with "
            f"{result['signed_with']})."
        )
        if not outcome.ok:
            raise CommandError("The endpoint did not accept the test event.")
