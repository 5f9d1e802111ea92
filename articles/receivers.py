"""articles' wiring: every article event changes a read (lists, the article, counts, tags).
In the worker, the full-text index follows every create, edit and delete (articles/search.py),
and a create that brings the site's count to a round number is announced to staff
(articles/milestones.py)."""

from articles.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleFavorited,
    ArticleUnfavorited,
    ArticleUpdated,
)
from articles.milestones import notify_staff_of_milestone
from articles.search import update_search_index
from conduit.readcache import invalidate_read_cache
from events.core.wiring import HandlerTable, background

EVENT_HANDLERS: HandlerTable = {
    ArticleCreated: [
        invalidate_read_cache,
        background(update_search_index),
        background(notify_staff_of_milestone),
    ],
    ArticleUpdated: [invalidate_read_cache, background(update_search_index)],
    ArticleDeleted: [invalidate_read_cache, background(update_search_index)],
    ArticleFavorited: [invalidate_read_cache],
    ArticleUnfavorited: [invalidate_read_cache],
}
