from conduit.readcache import invalidate_read_cache
from events.core.event import Event

EVENT_HANDLERS = {
    Event: [invalidate_read_cache],
}
