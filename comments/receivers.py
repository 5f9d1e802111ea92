"""comments' wiring: a comment added or deleted changes its article's comments alone."""

from comments.events import ArticleCommentAdded, CommentDeleted
from conduit.readcache import article_scope, forget_reads
from events.core.wiring import HandlerTable


def forget_comment_reads(event: ArticleCommentAdded | CommentDeleted) -> None:
    forget_reads(article_scope(event.article_id))


EVENT_HANDLERS: HandlerTable = {
    ArticleCommentAdded: [forget_comment_reads],
    CommentDeleted: [forget_comment_reads],
}
