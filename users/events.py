"""Facts about users and who follows whom. Published only by users.services."""

from dataclasses import dataclass
from typing import ClassVar

from events.core.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class UserEvent(Event):
    """A fact about one account, filed under it in the audit trail."""

    abstract: ClassVar[bool] = True
    aggregate_type: ClassVar[str] = "user"
    aggregate_id_field: ClassVar[str] = "user_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowEvent(UserEvent):
    """A change to whom `follower_id` follows: the follower's list changed, so it is filed
    under the follower's account."""

    abstract: ClassVar[bool] = True
    aggregate_id_field: ClassVar[str] = "follower_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRegistered(UserEvent):
    """A new account was created (POST /api/users, the admin or a command)."""

    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"user_id": ("username", "email")}

    user_id: int
    username: str
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserLoggedIn(UserEvent):
    """A user proved their email and password and was given a token."""

    # Why no handler consumes it (docs/events.md).
    unconsumed_because: ClassVar[str] = (
        "the login's security record is UserLoginAttempted, which the detectors consume; this "
        "is the account's own history in the audit trail"
    )
    personal_data: ClassVar[dict[str, tuple[str, ...]]] = {"user_id": ("username",)}

    user_id: int
    username: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserProfileUpdated(UserEvent):
    """A user's email, username, password, bio or image actually changed.

    `changed_fields` names what changed and never carries a value. It includes "password" when
    a new password was set: a password change is the fact security receivers care most about
    (notify the owner, end other sessions), and its name reveals nothing.
    """

    user_id: int
    changed_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UserFollowed(FollowEvent):
    """`follower_id` started following `followed_id` (not sent again for a repeated follow)."""

    follower_id: int
    followed_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserUnfollowed(FollowEvent):
    """`follower_id` stopped following `followed_id` (not sent when there was nothing to undo)."""

    follower_id: int
    followed_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDeactivated(UserEvent):
    """Staff deactivated an account: its tokens stop working and it cannot log in."""

    user_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserReactivated(UserEvent):
    """Staff reactivated a deactivated account."""

    user_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserAccessChanged(UserEvent):
    """Staff changed an account's staff or superuser flag, groups or permissions
    (`changed_fields` names which)."""

    user_id: int
    changed_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UserAnonymised(UserEvent):
    """An account was anonymised, its articles and comments kept (`cleanup_user_data
    --keep-content`): it is called "deleted-<id>" now, with no email, profile, password,
    access or follows, and it has taken back its favorites (each with its own event)."""

    user_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDeleted(UserEvent):
    """An account was removed, after its articles, comments, favorites and follows were
    removed (each with its own event)."""

    user_id: int
