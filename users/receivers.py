"""users' wiring: which remembered reads each of its events makes stale (conduit.readcache). A
follow changes the follower's marks and feed, and who follows the followed; a new account,
email or password only the user's own reads; a new name, bio or image shows wherever the
user's articles and comments do, and an account's access in every read, so those forget
everything (they are rare).
UserLoggedIn changes no read and is left out (its `changes_reads`). A new account is welcomed
by email from the worker (users/emails.py)."""

from conduit.readcache import (
    feed_scope,
    followers_scope,
    forget_everything,
    forget_reads,
    user_scope,
    viewer_scope,
)
from events.core.wiring import HandlerTable, background
from users.emails import send_welcome_email
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


def forget_user_reads(event: UserRegistered) -> None:
    forget_reads(user_scope(event.user_id))


# What others see of a user: wherever their articles, comments and profile show.
SHOWN_FIELDS = frozenset({"username", "bio", "image"})


def forget_profile_reads(event: UserProfileUpdated) -> None:
    """A new email or password changes the user's own reads; a new name, bio or image every
    read that shows them."""
    if SHOWN_FIELDS.intersection(event.changed_fields):
        forget_everything()
    else:
        forget_reads(user_scope(event.user_id))


def forget_follower_reads(event: UserFollowed | UserUnfollowed) -> None:
    forget_reads(
        viewer_scope(event.follower_id),
        feed_scope(event.follower_id),
        followers_scope(event.followed_id),
    )


EVENT_HANDLERS: HandlerTable = {
    UserRegistered: [forget_user_reads, background(send_welcome_email)],
    UserProfileUpdated: [forget_profile_reads],
    UserFollowed: [forget_follower_reads],
    UserUnfollowed: [forget_follower_reads],
    UserDeactivated: [forget_everything],
    UserReactivated: [forget_everything],
    UserAccessChanged: [forget_everything],
    UserAnonymised: [forget_everything],
    UserDeleted: [forget_everything],
}
