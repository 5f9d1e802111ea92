"""Writes to comments. The only place that publishes comment events."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from articles.models import Article
from articles.services import article_lock
from comments.events import ArticleCommentAdded, CommentDeleted
from comments.models import Comment
from conduit.errors import Forbidden, Invalid, NotFound
from conduit.text import CONTROL_CHARACTERS, has_control_characters
from events import bus
from events.core.operations import bulk_apply
from events.core.unit_of_work import unit_of_work
from users.models import User


@unit_of_work
def comment_create(*, article: Article, author: User, body: str) -> Comment:
    if not body.strip():
        raise Invalid("body", "can't be blank")
    if has_control_characters(body):
        raise Invalid("body", CONTROL_CHARACTERS)
    # A comment never lands on an article being deleted, nor on one hidden meanwhile.
    if article_lock(article=article).hidden:
        raise NotFound("article")
    now = timezone.now()
    comment = Comment.objects.create(
        article=article, author=author, body=body, created_at=now, updated_at=now
    )
    bus.publish(
        ArticleCommentAdded(comment_id=comment.pk, article_id=article.pk, author_id=author.pk)
    )
    return comment


@unit_of_work
def comment_delete(*, comment: Comment, user: User) -> None:
    """Only the comment's author may delete it; a comment deleted meanwhile is a 404."""
    locked = Comment.objects.select_for_update().filter(pk=comment.pk).first()
    if locked is None:
        raise NotFound("comment")
    if locked.author_id != user.pk:
        raise Forbidden("comment")
    locked.delete()
    bus.publish(
        CommentDeleted(
            comment_id=comment.pk, article_id=locked.article_id, author_id=locked.author_id
        )
    )


@unit_of_work
def comments_delete(*, comments: Iterable[Comment]) -> int:
    """Delete several comments on their authors' behalf (the admin's "delete selected"),
    each through comment_delete, as one bulk operation; one deleted meanwhile is skipped.
    Returns how many were deleted."""
    return bulk_apply(
        "comments.delete",
        comments,
        lambda comment: comment_delete(comment=comment, user=comment.author),
        gone=NotFound,
    )


@transaction.atomic
def comment_set_hidden(*, comment: Comment, hidden: bool) -> bool:
    """Hide the comment from every read but staff's (moderation), or show it again; True
    when that changed something (NotFound once it is deleted). The caller (moderation)
    announces the change."""
    locked = Comment.objects.select_for_update().filter(pk=comment.pk).first()
    if locked is None:
        raise NotFound("comment")
    if locked.hidden == hidden:
        return False
    locked.hidden = comment.hidden = hidden
    locked.save(update_fields=["hidden"])
    return True


@unit_of_work
def comments_delete_for_article(*, article_id: int) -> int:
    """Delete an article's comments, announcing each; called while the article is deleted.
    Returns how many were deleted."""
    # Locked first: a comment deleted concurrently drops out here, so it is announced once.
    comments = list(
        Comment.objects.select_for_update()
        .filter(article_id=article_id)
        .order_by("id")
        .values_list("id", "author_id")
    )
    Comment.objects.filter(article_id=article_id).delete()
    for comment_id, author_id in comments:
        bus.publish(
            CommentDeleted(comment_id=comment_id, article_id=article_id, author_id=author_id)
        )
    return len(comments)
