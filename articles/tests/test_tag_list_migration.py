"""Migration 0005: articles written before tag lists were stored sorted are sorted in place."""

from importlib import import_module

import pytest
from django.apps import apps

from articles.models import Article, ArticleTag
from articles.tests.factories import ArticleFactory

migration = import_module("articles.migrations.0005_tag_list_sorted")


def _as_written_before(article: Article, names: list[str]) -> None:
    """Put back the author's order, as the services stored it until now."""
    Article.objects.filter(pk=article.pk).update(tag_list=names)
    for position, name in enumerate(names):
        ArticleTag.objects.filter(article=article, tag__name=name).update(position=position)


@pytest.mark.django_db
def test_old_tag_lists_are_sorted_with_their_links_renumbered(api_client):
    old = ArticleFactory(tag_list=["training", "dragons", "angular"])
    _as_written_before(old, ["training", "dragons", "angular"])
    untouched = ArticleFactory(tag_list=["a", "b"])
    bare = ArticleFactory()

    migration.sort_tag_lists(apps, None)

    old.refresh_from_db()
    assert old.tag_list == ["angular", "dragons", "training"]
    links = old.article_tags.order_by("position").values_list("tag__name", "position")
    assert list(links) == [("angular", 0), ("dragons", 1), ("training", 2)]
    assert Article.objects.get(pk=untouched.pk).tag_list == ["a", "b"]
    assert Article.objects.get(pk=bare.pk).tag_list == []
    served = api_client.get(f"/api/articles/{old.slug}").json()["article"]["tagList"]
    assert served == ["angular", "dragons", "training"]
