"""Reads of comments."""

from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value

from articles.models import Article
from comments.models import Comment
from conduit.errors import NotFound
from users.models import Follow, User


def comment_list(*, article: Article, viewer: User | None) -> QuerySet[Comment]:
    """The article's comments newest first, authors selected, `author_following` annotated."""
    if viewer is None:
        following = Value(False, output_field=BooleanField())
    else:
        following = Exists(Follow.objects.filter(follower=viewer, followed=OuterRef("author_id")))
    return (
        Comment.objects.filter(article=article)
        .select_related("author")
        .annotate(author_following=following)
        .order_by("-created_at", "-id")
    )


def comment_get(*, article: Article, comment_id: int, viewer: User | None = None) -> Comment:
    """One of the article's comments; 404 when the id is unknown or belongs to another article."""
    comment = comment_list(article=article, viewer=viewer).filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("comment")
    return comment
