"""The comments app's one Django model-signal receiver (connected in CommentsConfig.ready()).

Why a model signal here, against the house rule: deleting an article deletes its comments by
database cascade, and each deleted comment must still be announced with CommentDeleted. The
articles app may not import comments (comments -> articles, never back), so
articles.services.article_delete cannot call us; instead comments listens for the article's
`pre_delete`, which Django sends inside the deleting transaction, and hands the work to
comments.services, where the business logic stays.
"""

from typing import Any

from articles.models import Article
from comments.services import comments_delete_for_article


def delete_comments_of_deleted_article(sender: type, instance: Article, **kwargs: Any) -> None:
    """Delete and announce the comments of an article that is being deleted."""
    comments_delete_for_article(article_id=instance.pk)
