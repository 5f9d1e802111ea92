"""What users remembers of its reads (conduit.readcache), and which events renew it.

- `user_scope(id)` (conduit.auth): a user's profile, and the user behind their token;
- `viewer_scope(id)`: whom a reader follows, and (articles' reads) what they favorited: the
  reader's marks on what they read;
- `followers_scope(id)`: who follows a user (asked at every new article of theirs).

A follow changes the follower's marks and who follows the followed (and, articles/reads.py,
the follower's feed); a new account, email or password only the user's own reads; a new
name, bio or image shows wherever the user's articles and comments do, and an account's
access in every read, so those renew everything (they are rare). A login renews nothing
(last_login is shown by no read).
"""

from conduit.auth import user_scope
from conduit.readcache import RenewalTable, everything, scope_of
from users.events import (
    UserAccessChanged,
    UserAnonymised,
    UserDeactivated,
    UserDeleted,
    UserFollowed,
    UserProfileUpdated,
    UserReactivated,
    UserRegistered,
    UserUnfollowed,
)


def viewer_scope(user_id: int) -> str:
    return scope_of("viewer", user_id)


def followers_scope(user_id: int) -> str:
    return scope_of("followers", user_id)


# What others see of a user: wherever their articles, comments and profile show.
SHOWN_FIELDS = frozenset({"username", "bio", "image"})


def own_reads(event: UserRegistered) -> tuple[str, ...]:
    return (user_scope(event.user_id),)


def profile_reads(event: UserProfileUpdated) -> tuple[str, ...]:
    """A new email or password changes the user's own reads; a new name, bio or image every
    read that shows them."""
    if SHOWN_FIELDS.intersection(event.changed_fields):
        return everything(event)
    return (user_scope(event.user_id),)


def follow_reads(event: UserFollowed | UserUnfollowed) -> tuple[str, ...]:
    return (viewer_scope(event.follower_id), followers_scope(event.followed_id))


RENEWED_BY: RenewalTable = {
    UserRegistered: own_reads,
    UserProfileUpdated: profile_reads,
    UserFollowed: follow_reads,
    UserUnfollowed: follow_reads,
    UserDeactivated: everything,
    UserReactivated: everything,
    UserAccessChanged: everything,
    UserAnonymised: everything,
    UserDeleted: everything,
}
