"""Facts about users and who follows whom. Published only by users.services."""

from dataclasses import dataclass

from events.base import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRegistered(Event):
    """A new account was created (POST /api/users, the admin or a command)."""

    aggregate_type = "user"
    aggregate_id_field = "user_id"

    user_id: int
    username: str
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserLoggedIn(Event):
    """A user proved their email and password and was given a token."""

    aggregate_type = "user"
    aggregate_id_field = "user_id"

    user_id: int
    username: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserProfileUpdated(Event):
    """A user's email, username, password, bio or image actually changed.

    `changed_fields` names what changed and never carries a value. It includes "password" when
    a new password was set: a password change is the fact security receivers care most about
    (notify the owner, end other sessions), and its name reveals nothing.
    """

    aggregate_type = "user"
    aggregate_id_field = "user_id"

    user_id: int
    changed_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UserFollowed(Event):
    """`follower_id` started following `followed_id` (not sent again for a repeated follow)."""

    # The follow belongs to the follower's account: it is their list that changed.
    aggregate_type = "user"
    aggregate_id_field = "follower_id"

    follower_id: int
    followed_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserUnfollowed(Event):
    """`follower_id` stopped following `followed_id` (not sent when there was nothing to undo)."""

    aggregate_type = "user"
    aggregate_id_field = "follower_id"

    follower_id: int
    followed_id: int
