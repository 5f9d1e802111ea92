"""Reads of comments. Comments hidden by moderation, and every comment of a hidden article,
are filtered here (so the read cache never holds one); staff read them straight from the
database."""

from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import QuerySet

from articles.models import Article
from articles.reads import article_scope
from articles.selectors import sees_hidden, visible_article_id
from comments.models import Comment
from conduit.errors import NotFound
from conduit.readcache import read_named
from users.models import User
from users.selectors import PROFILE_COLUMNS, ProfileRow, followed_among, profile_row


@dataclass(frozen=True, slots=True)
class CommentRow:
    """A comment as a response shows it; the author's `following` is the viewer's (False in
    the rows every viewer shares, and the cache keeps)."""

    id: int
    created_at: datetime
    updated_at: datetime
    body: str
    author: ProfileRow


_COLUMNS = ("id", "created_at", "updated_at", "body", *(f"author__{c}" for c in PROFILE_COLUMNS))


def comment_rows(*, slug: str, viewer: User | None) -> list[CommentRow]:
    """The comments of the article at `slug`, newest first, with the author's `following`
    for the viewer; 404 when there is no such article. Hidden ones only for staff."""
    if sees_hidden(viewer):
        found = _comment_rows(Article.objects.filter(slug=slug), include_hidden=True)
    else:
        found = read_named(
            "comments",
            slug,
            find_id=lambda: visible_article_id(slug=slug),
            scopes=lambda article_id: (article_scope(article_id),),
            read_by_id=lambda article_id: _comment_rows(Article.objects.filter(pk=article_id)),
            read_by_name=lambda: _comment_rows(Article.objects.filter(slug=slug)),
            name_of=lambda found: found[0],
        )
    if found is None:
        raise NotFound("article")
    rows = found[1]
    following = followed_among(viewer, {row.author.id for row in rows})
    if not following:
        return rows
    return [
        replace(row, author=replace(row.author, following=True))
        if row.author.id in following
        else row
        for row in rows
    ]


def _comment_rows(
    articles: QuerySet[Article], *, include_hidden: bool = False
) -> tuple[str, list[CommentRow]] | None:
    """The article's slug and its comments, newest first; None when there is no such article.
    One query; a second only to tell "no comments" from "no such article"."""
    comments = Comment.objects.filter(article__in=articles)
    if not include_hidden:
        articles = articles.filter(hidden=False)
        comments = comments.filter(hidden=False, article__hidden=False)
    values = list(comments.order_by("-created_at", "-id").values_list("article__slug", *_COLUMNS))
    if values:
        slug = values[0][0]
    else:
        slug = articles.values_list("slug", flat=True).first()
        if slug is None:
            return None
    rows = [CommentRow(*row[1:5], ProfileRow(*row[5:])) for row in values]
    return slug, rows


def comment_row(comment: Comment) -> CommentRow:
    """The row of a comment its author has just written (nobody follows themself)."""
    return CommentRow(
        comment.pk,
        comment.created_at,
        comment.updated_at,
        comment.body,
        profile_row(comment.author),
    )


def comment_get(*, article: Article, comment_id: int) -> Comment:
    """One of the article's comments, to write to; 404 when the id is unknown, belongs to
    another article or is hidden (moderation acts on hidden comments from the admin)."""
    comment = Comment.objects.filter(article=article, pk=comment_id, hidden=False).first()
    if comment is None:
        raise NotFound("comment")
    return comment


def comments_written_count(*, user_id: int) -> int:
    """How many comments the user has written (hidden ones are not counted)."""
    return Comment.objects.filter(author_id=user_id, hidden=False).count()
