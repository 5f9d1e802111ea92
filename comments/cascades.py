"""The comments app's reactions inside other apps' transactions (connected in
CommentsConfig.ready()).

Why not bus handlers: the rows must be removed, and announced, inside the transaction that
removes what they hang on, before a database cascade could remove them silently. Bus
handlers run after commit, too late (docs/architecture.md, "Reactions").

- Removing an account (users.signals.account_removing, the hook users declares for that
  moment) deletes the user's comments, through the service.
- Deleting an article deletes its comments, each announced with CommentDeleted. Here a model
  signal, Article's `pre_delete`: an article is deleted by articles.services.article_delete,
  but also by Django's deletion collector when a user row is deleted behind the services
  (the ORM cascades its articles), and only the ORM sees that. Django sends it inside the
  deleting transaction. (articles may not import comments: comments -> articles, never
  back.)

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
