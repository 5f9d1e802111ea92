"""articles' reactions, in the worker: the full-text index follows every create, edit and
delete (articles/search.py), and a create that brings the site's count to a round
number is announced to staff (articles/milestones.py). Which reads its events renew is
articles/reads.py."""

from articles.events import ArticleCreated, ArticleDeleted, ArticleUpdated
from articles.milestones import notify_staff_of_milestone
from articles.search import update_search_index
from events.core.wiring import HandlerTable, background

EVENT_HANDLERS: HandlerTable = {
    ArticleCreated: [background(update_search_index), background(notify_staff_of_milestone)],
    ArticleUpdated: [background(update_search_index)],
    ArticleDeleted: [background(update_search_index)],
}
