"""users' wiring: which of its events make remembered reads stale (profiles, the user behind a
token, the feed). UserLoggedIn changes no read and is left out (its `changes_reads`). A new
account is welcomed by email from the worker (users/emails.py)."""

from conduit.readcache import invalidate_read_cache
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

EVENT_HANDLERS: HandlerTable = {
    UserRegistered: [invalidate_read_cache, background(send_welcome_email)],
    UserProfileUpdated: [invalidate_read_cache],
    UserFollowed: [invalidate_read_cache],
    UserUnfollowed: [invalidate_read_cache],
    UserDeactivated: [invalidate_read_cache],
    UserReactivated: [invalidate_read_cache],
    UserAccessChanged: [invalidate_read_cache],
    UserAnonymised: [invalidate_read_cache],
    UserDeleted: [invalidate_read_cache],
}
