"""moderation's wiring: the spam check runs in the worker after every article create and
update and every comment create (so it never slows the write, and the author is not told);
the events that change what is visible take a hidden article out of the full-text index or
put an approved one back, in the worker (articles/search.py). Which reads they renew is
moderation/reads.py."""

from collections.abc import Sequence

from articles.events import ArticleCreated, ArticleUpdated
from articles.models import Article
from articles.search import search_index_refresh
from comments.events import ArticleCommentAdded
from events.core.wiring import HandlerTable, background, handles_batches
from events.system.moderation.events import ContentApproved, ContentHidden, ContentRemoved
from events.system.moderation.services import articles_check_spam, content_check_spam


@handles_batches
def check_article_for_spam(events: Sequence[ArticleCreated]) -> None:
    """Score the new articles, all at once; flag or hide those that look like spam."""
    articles_check_spam(causes={event.article_id: event.event_id for event in events})


def check_edited_article_for_spam(event: ArticleUpdated) -> None:
    """Score the article again when its text changed."""
    if set(Article.TEXT_FIELDS).intersection(event.changed_fields):
        content_check_spam(article_id=event.article_id)


def check_comment_for_spam(event: ArticleCommentAdded) -> None:
    """Score the new comment; flag or hide it when it looks like spam."""
    content_check_spam(comment_id=event.comment_id)


@handles_batches
def reindex_moderated_article(
    events: Sequence[ContentHidden | ContentApproved | ContentRemoved],
) -> None:
    """The articles' search entries as their visibility now is: gone while hidden, back once
    approved (searches check visibility on the rows as well, so a hide shows at once)."""
    article_ids = [event.article_id for event in events if event.content_type == "article"]
    if article_ids:
        search_index_refresh(article_ids)


EVENT_HANDLERS: HandlerTable = {
    ArticleCreated: [background(check_article_for_spam)],
    ArticleUpdated: [background(check_edited_article_for_spam)],
    ArticleCommentAdded: [background(check_comment_for_spam)],
    ContentHidden: [background(reindex_moderated_article)],
    ContentApproved: [background(reindex_moderated_article)],
    ContentRemoved: [background(reindex_moderated_article)],
}
