"""Input serializers (validation only) and output shapes (plain dicts, no queries) for
articles. Output functions expect articles from articles.selectors: annotated with `favorited`
and `author_following`, author selected and `tag_links` prefetched."""

from typing import Any

from rest_framework import serializers

from articles.api.fields import TagListField, TextField
from articles.models import Article
from conduit.api import format_timestamp
from users.api.serializers import profile_data

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


def article_data(article: Article, *, with_body: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
    }
    if with_body:
        data["body"] = article.body
    data |= {
        "tagList": [link.tag.name for link in article.tag_links],
        "createdAt": format_timestamp(article.created_at),
        "updatedAt": format_timestamp(article.updated_at),
        "favorited": article.favorited,
        "favoritesCount": article.favorites_count,
        "author": profile_data(article.author, following=article.author_following),
    }
    return data
