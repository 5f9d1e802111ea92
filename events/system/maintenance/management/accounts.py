"""How the maintenance commands name an account: by username, or by id (an account removed
or anonymised no longer has its name)."""

from django.core.management.base import CommandError, CommandParser

from events.system.maintenance.services import account_known
from users.models import User


def add_account_arguments(parser: CommandParser) -> None:
    parser.add_argument("username", nargs="?", help="The account's username.")
    parser.add_argument(
        "--user-id", type=int, help="The account's id (one removed or anonymised has no name)."
    )


def account_id(*, username: str | None, user_id: int | None, must_exist: bool = False) -> int:
    """The id of the account named; CommandError when it names none."""
    if (username is None) == (user_id is None):
        raise CommandError("Name the account by its username or by --user-id, not both.")
    if username is not None:
        found = User.objects.filter(username=username).values_list("pk", flat=True).first()
        if found is None:
            raise CommandError(
                f"No account is named {username!r}. One already removed or anonymised is "
                "named by its id: --user-id."
            )
        return found
    exists = User.objects.filter(pk=user_id).exists()
    if must_exist and not exists:
        raise CommandError(f"No account has the id {user_id}.")
    if not exists and not account_known(user_id=user_id):
        raise CommandError(f"No account has, or ever had, the id {user_id}.")
    return user_id
