"""A Statement (conduit/statements.py) reads what its queryset reads, converted as the ORM
converts it, and keeps only the query: each run reads the rows as they are now."""

import pytest
from django.db.models.functions import Lower

from articles.models import Article
from articles.tests.factories import ArticleFactory
from conduit.statements import Statement

pytestmark = pytest.mark.django_db


def test_a_statement_reads_what_its_queryset_reads_with_the_orms_conversions():
    ArticleFactory(title="Alpha", tag_list=["a", "b"])
    ArticleFactory(title="Beta", tag_list=[])
    articles = Article.objects.order_by("title").values_list(
        "title", "tag_list", "created_at", "author__username"
    )

    rows = Statement.of(articles).rows()

    # JSON back to lists, dates to aware datetimes (SQLite returns text for both).
    assert rows == list(articles)
    assert rows[0][1] == ["a", "b"]
    assert rows[0][2].tzinfo is not None


def test_a_statement_reads_the_rows_as_they_are_when_it_runs():
    statement = Statement.of(Article.objects.order_by("title").values_list("title"))
    assert statement.column() == []

    ArticleFactory(title="Written after the statement was built")

    assert statement.column() == ["Written after the statement was built"]
    assert statement.first() == ("Written after the statement was built",)


def test_a_statement_returns_only_the_columns_asked_for():
    # DISTINCT makes the ORM select the ordering's expression too.
    ArticleFactory(title="b")
    ArticleFactory(title="A")
    articles = Article.objects.distinct().order_by(Lower("title")).values_list("pk")

    assert Statement.of(articles).rows() == list(articles)
    assert all(len(row) == 1 for row in Statement.of(articles).rows())
