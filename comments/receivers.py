"""comments' wiring: both comment events change the article's comment list."""

from comments.events import ArticleCommentAdded, CommentDeleted
from conduit.readcache import invalidate_read_cache
from events.core.wiring import HandlerTable

EVENT_HANDLERS: HandlerTable = {
    ArticleCommentAdded: [invalidate_read_cache],
    CommentDeleted: [invalidate_read_cache],
}
