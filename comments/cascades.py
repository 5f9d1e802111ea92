"""The comments app's receivers of other apps' synchronous hooks (connected in
CommentsConfig.ready()).

Why hooks here rather than bus events: the rows must be removed, and announced, inside the
transaction that removes what they hang on, before a database cascade could remove them
silently. Bus handlers run after commit, too late.

- Deleting an article deletes its comments, and each must be announced with CommentDeleted.
  The articles app may not import comments (comments -> articles, never back), so
  articles.services.article_delete cannot call us; instead comments listens for the article's
  `pre_delete`, which Django sends inside the deleting transaction.
- Removing an account (users.signals.account_removing) deletes the user's comments.

Either way the work is handed to comments.services, where the business logic stays.
"""

from typing import Any

from articles.models import Article
from comments.models import Comment
from comments.services import comment_delete, comments_delete_for_article
from users.models import User


def delete_comments_of_deleted_article(sender: type, instance: Article, **kwargs: Any) -> None:
    """Delete and announce the comments of an article that is being deleted."""
    comments_delete_for_article(article_id=instance.pk)


def delete_comments_of_removed_user(sender: type, user: User, **kwargs: Any) -> None:
    """Delete, one by one through the service, the comments of an account being removed."""
    for comment in Comment.objects.filter(author=user).order_by("pk"):
        comment_delete(comment=comment, user=user)
