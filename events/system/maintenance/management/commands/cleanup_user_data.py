import json as jsonlib

from django.core.management.base import BaseCommand

from events.system.maintenance.management.accounts import account_id, add_account_arguments
from events.system.maintenance.services import (
    CleanupPlan,
    user_data_cleanup_plan,
    user_data_cleanup_request,
)


class Command(BaseCommand):
    help = (
        "The right to be forgotten: remove an account's articles, comments, favorites and "
        "follows and the account itself (or, with --keep-content, keep its articles and "
        "comments and anonymise the account), then redact its personal data in the audit "
        "trail. The worker does it (UserDataCleanupRequested); a second run changes nothing."
    )

    def add_arguments(self, parser) -> None:
        add_account_arguments(parser)
        parser.add_argument(
            "--keep-content",
            action="store_true",
            help="Keep the articles and comments; anonymise the account.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would go.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *, username, user_id, keep_content, dry_run, json: bool, **options) -> None:
        target = account_id(username=username, user_id=user_id)
        plan = user_data_cleanup_plan(user_id=target, keep_content=keep_content)
        requested = not dry_run and not plan.changes_nothing
        if requested:
            user_data_cleanup_request(user_id=target, keep_content=keep_content)
        if json:
            payload = plan.as_dict() | {"dry_run": dry_run, "requested": requested}
            self.stdout.write(jsonlib.dumps(payload, indent=2))
            return
        name = f"account {target}" + (f" ({plan.username})" if plan.username else "")
        if plan.changes_nothing:
            self.stdout.write(f"Nothing to clean up for {name}: {_state(plan)}.")
            return
        self.stdout.write(f"{'Would' if dry_run else 'Will'} {_steps(plan)}, for {name}.")
        if requested:
            self.stdout.write(
                "Requested: the worker does it and ends with a BulkOperationCompleted "
                "(user_data.cleanup)."
            )


def _steps(plan: CleanupPlan) -> str:
    steps = []
    if plan.articles:
        steps.append(f"delete {_count(plan.articles, 'article')} (with the comments on them)")
    if plan.comments:
        steps.append(f"delete {_count(plan.comments, 'comment')}")
    if plan.favorites:
        steps.append(f"take back {_count(plan.favorites, 'favorite')}")
    if plan.follows:
        steps.append(f"undo {_count(plan.follows, 'follow')}")
    if plan.account != "none":
        steps.append(f"{plan.account} the account")
    if plan.payloads:
        steps.append(f"redact the personal data of {_count(plan.payloads, 'stored event')}")
    return ", ".join(steps)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _state(plan: CleanupPlan) -> str:
    if plan.username is None:
        return "it is removed, and the audit trail holds none of its personal data"
    return "it is anonymised, and follows and favorites nothing"
