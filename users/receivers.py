"""users' wiring: which of its events make remembered reads stale (profiles, the user behind a
token, the feed). UserLoggedIn changes no read and is left out (its `changes_reads`)."""

from conduit.readcache import invalidate_read_cache
from events.core.wiring import HandlerTable
from users.events import (
    UserAccessChanged,
    UserDeactivated,
    UserDeleted,
    UserFollowed,
    UserProfileUpdated,
    UserReactivated,
    UserRegistered,
    UserUnfollowed,
)

EVENT_HANDLERS: HandlerTable = {
    UserRegistered: [invalidate_read_cache],
    UserProfileUpdated: [invalidate_read_cache],
    UserFollowed: [invalidate_read_cache],
    UserUnfollowed: [invalidate_read_cache],
    UserDeactivated: [invalidate_read_cache],
    UserReactivated: [invalidate_read_cache],
    UserAccessChanged: [invalidate_read_cache],
    UserDeleted: [invalidate_read_cache],
}
