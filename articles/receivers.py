"""articles' wiring: every article event changes reads (conduit.readcache), and each forgets
only those: a new article shows in the lists (of its own tags only, among tag lists; in its
author's followers' feeds only) and the tags; an edit, a delete and a favorite in any list and
on the article's own page (the favorite also in the reader's marks).
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
from conduit.readcache import (
    LISTS,
    ROWS,
    article_scope,
    feed_scope,
    forget_reads,
    tag_scope,
    viewer_scope,
)
from events.core.wiring import HandlerTable, background
from users.selectors import follower_ids


def forget_lists(event: ArticleCreated) -> None:
    """The lists, its tags' lists and its author's followers' feeds (who follows the author is
    itself remembered): every other reader's feed stays remembered."""
    followers = follower_ids(user_id=event.author_id)
    forget_reads(
        LISTS,
        *map(tag_scope, event.tag_names),
        *{feed_scope(follower) for follower in followers},
    )


def forget_article_reads(event: ArticleUpdated | ArticleDeleted) -> None:
    forget_reads(ROWS, article_scope(event.article_id))


def forget_favorite_reads(event: ArticleFavorited | ArticleUnfavorited) -> None:
    forget_reads(ROWS, article_scope(event.article_id), viewer_scope(event.user_id))


EVENT_HANDLERS: HandlerTable = {
    ArticleCreated: [
        forget_lists,
        background(update_search_index),
        background(notify_staff_of_milestone),
    ],
    ArticleUpdated: [forget_article_reads, background(update_search_index)],
    ArticleDeleted: [forget_article_reads, background(update_search_index)],
    ArticleFavorited: [forget_favorite_reads],
    ArticleUnfavorited: [forget_favorite_reads],
}
