"""Input serializers (validation only) and output shapes (plain dicts, no queries) for
articles. Output functions take the rows of articles.selectors."""

from typing import Any

from rest_framework import serializers

from articles.api.fields import TagListField
from articles.models import Article
from articles.selectors import ArticleRow
from conduit.api import format_timestamp
from conduit.fields import TextField
from users.api.serializers import ProfileOutput, profile_data

TITLE_MAX_LENGTH = Article._meta.get_field("title").max_length


class ArticleCreateInput(serializers.Serializer):
    title = TextField(max_length=TITLE_MAX_LENGTH)
    description = TextField()
    body = TextField()
    tagList = TagListField(required=False)  # the wire name


class ArticleUpdateInput(serializers.Serializer):
    title = TextField(max_length=TITLE_MAX_LENGTH, required=False)
    description = TextField(required=False)
    body = TextField(required=False)
    tagList = TagListField(required=False)  # the wire name


def article_data(row: ArticleRow) -> dict[str, Any]:
    """An article row from articles.selectors; `body` only when the row has it (list items
    have none)."""
    data: dict[str, Any] = {
        "slug": row.slug,
        "title": row.title,
        "description": row.description,
    }
    if row.body is not None:
        data["body"] = row.body
    data |= {
        "tagList": row.tag_list,
        "createdAt": format_timestamp(row.created_at),
        "updatedAt": format_timestamp(row.updated_at),
        "favorited": row.favorited,
        "favoritesCount": row.favorites_count,
        "author": profile_data(row.author),
    }
    return data


# The output shapes below describe the plain dicts of article_data for the API schema; the
# views never run them. Their docstrings are the schema's text.


class ArticleListItemOutput(serializers.Serializer):
    """An article in a list: everything but its `body`; `tagList` sorted."""

    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    tagList = serializers.ListField(child=serializers.CharField())
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    favorited = serializers.BooleanField()
    favoritesCount = serializers.IntegerField()
    author = ProfileOutput()


class ArticleOutput(ArticleListItemOutput):
    """One article, with its `body`."""

    body = serializers.CharField()
