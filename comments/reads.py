"""What comments remembers of its reads (conduit.readcache): an article's comments, under
their article's scope (articles/reads.py: one stamp for the page and its comments). A comment
added or deleted renews its article's comments alone; an app above whose events change which
comments show (moderation) renews `comments_changed(article_id)`."""

from articles.reads import article_scope
from comments.events import ArticleCommentAdded, CommentDeleted
from conduit.readcache import RenewalTable


def comments_changed(article_id: int) -> tuple[str, ...]:
    return (article_scope(article_id),)


def comment_added_or_deleted(event: ArticleCommentAdded | CommentDeleted) -> tuple[str, ...]:
    return comments_changed(event.article_id)


RENEWED_BY: RenewalTable = {
    ArticleCommentAdded: comment_added_or_deleted,
    CommentDeleted: comment_added_or_deleted,
}
