"""Reads of comments."""

from articles.models import Article
from comments.models import Comment
from conduit.errors import NotFound
from conduit.readcache import read_through
from users.models import User
from users.selectors import followed_among

_ROW_FIELDS = (
    "id",
    "author_id",
    "created_at",
    "updated_at",
    "body",
    "author__username",
    "author__bio",
    "author__image",
)


def comment_rows(*, slug: str, viewer: User | None) -> list[dict]:
    """The comments of the article at `slug`, newest first, as rows with `author_following`
    for the viewer; 404 when there is no such article."""
    rows = read_through(("comments", slug), lambda: _comment_rows(slug))
    if rows is None:
        raise NotFound("article")
    following = followed_among(viewer, {row["author_id"] for row in rows})
    return [row | {"author_following": row["author_id"] in following} for row in rows]


def _comment_rows(slug: str) -> list[dict] | None:
    # One query; a second only to tell "no comments" from "no such article".
    rows = list(
        Comment.objects.filter(article__slug=slug)
        .order_by("-created_at", "-id")
        .values(*_ROW_FIELDS)
    )
    if not rows and not Article.objects.filter(slug=slug).exists():
        return None
    return rows


def comment_row(comment: Comment) -> dict:
    """The row of a comment its author has just written (nobody follows themself)."""
    author = comment.author
    return {
        "id": comment.pk,
        "author_id": author.pk,
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "body": comment.body,
        "author__username": author.username,
        "author__bio": author.bio,
        "author__image": author.image,
        "author_following": False,
    }


def comment_get(*, article: Article, comment_id: int) -> Comment:
    """One of the article's comments, to write to; 404 when the id is unknown or belongs to
    another article."""
    comment = Comment.objects.filter(article=article, pk=comment_id).first()
    if comment is None:
        raise NotFound("comment")
    return comment
