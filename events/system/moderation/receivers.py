"""moderation's wiring: the spam check runs in the worker after every article create and
update and every comment create (so it never slows the write, and the author is not told);
the events that change what is visible invalidate the read cache, and take a hidden article
out of the full-text index or put an approved one back, in the worker (articles/search.py)."""

from articles.events import ArticleCreated, ArticleUpdated
from articles.search import search_index_refresh
from comments.events import ArticleCommentAdded
from conduit.readcache import ROWS, article_scope, forget_reads
from events.core.wiring import HandlerTable, background
from events.system.moderation.events import ContentApproved, ContentHidden, ContentRemoved
from events.system.moderation.services import content_check_spam

TEXT_FIELDS = frozenset({"title", "description", "body"})


def check_article_for_spam(event: ArticleCreated) -> None:
    """Score the new article; flag or hide it when it looks like spam."""
    content_check_spam(article_id=event.article_id)


def check_edited_article_for_spam(event: ArticleUpdated) -> None:
    """Score the article again when its text changed."""
    if TEXT_FIELDS.intersection(event.changed_fields):
        content_check_spam(article_id=event.article_id)


def check_comment_for_spam(event: ArticleCommentAdded) -> None:
    """Score the new comment; flag or hide it when it looks like spam."""
    content_check_spam(comment_id=event.comment_id)


def forget_moderated_reads(event: ContentHidden | ContentApproved | ContentRemoved) -> None:
    """A comment shows on its article's page alone; an article in lists too."""
    if event.content_type == "article":
        forget_reads(ROWS, article_scope(event.article_id))
    else:
        forget_reads(article_scope(event.article_id))


def reindex_moderated_article(event: ContentHidden | ContentApproved | ContentRemoved) -> None:
    """The article's search entry as its visibility now is: gone while hidden, back once
    approved (searches check visibility on the rows as well, so a hide shows at once)."""
    if event.content_type == "article":
        search_index_refresh([event.article_id])


EVENT_HANDLERS: HandlerTable = {
    ArticleCreated: [background(check_article_for_spam)],
    ArticleUpdated: [background(check_edited_article_for_spam)],
    ArticleCommentAdded: [background(check_comment_for_spam)],
    ContentHidden: [forget_moderated_reads, background(reindex_moderated_article)],
    ContentApproved: [forget_moderated_reads, background(reindex_moderated_article)],
    ContentRemoved: [forget_moderated_reads, background(reindex_moderated_article)],
}
