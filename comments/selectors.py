"""Reads of comments."""

from django.db.models import QuerySet

from articles.models import Article
from comments.models import Comment
from conduit.errors import NotFound
from users.models import User
from users.selectors import following_expression


def comment_list(*, article: Article, viewer: User | None) -> QuerySet[Comment]:
    """The article's comments newest first, authors selected, `author_following` annotated."""
    return (
        Comment.objects.filter(article=article)
        .select_related("author")
        .annotate(author_following=following_expression(viewer, user_ref="author_id"))
        .order_by("-created_at", "-id")
    )


def comment_get(*, article: Article, comment_id: int, viewer: User | None = None) -> Comment:
    """One of the article's comments; 404 when the id is unknown or belongs to another article."""
    comment = comment_list(article=article, viewer=viewer).filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("comment")
    return comment
