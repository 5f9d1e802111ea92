"""articles' wiring: every article event changes a read (lists, the article, counts, tags)."""

from articles.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleFavorited,
    ArticleUnfavorited,
    ArticleUpdated,
)
from conduit.readcache import invalidate_read_cache
from events.core.wiring import HandlerTable

EVENT_HANDLERS: HandlerTable = {
    ArticleCreated: [invalidate_read_cache],
    ArticleUpdated: [invalidate_read_cache],
    ArticleDeleted: [invalidate_read_cache],
    ArticleFavorited: [invalidate_read_cache],
    ArticleUnfavorited: [invalidate_read_cache],
}
