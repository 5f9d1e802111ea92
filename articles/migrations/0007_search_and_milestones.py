"""The full-text index of articles (articles/search.py): on PostgreSQL the ArticleSearch table
(tsvector columns with GIN indexes) and its word counts (ArticleSearchTerm), on SQLite an FTS5
table; and the milestones staff were told about (articles/milestones.py). The index starts
empty: `manage.py search_reindex` fills it for the articles written before (the worker's
handlers keep it from then on)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from conduit.migration_ops import ForVendor

# Every row's id is its article's; the porter stemmer over unicode61, as PostgreSQL's
# "english" configuration stems (diacritics kept, as PostgreSQL keeps them).
FTS5_TABLE = """
CREATE VIRTUAL TABLE articles_search_fts USING fts5(
    title, description, tags, body,
    tokenize = 'porter unicode61 remove_diacritics 0'
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_hidden"),
    ]

    operations = [
        ForVendor(
            "postgresql",
            migrations.CreateModel(
                name="ArticleSearch",
                fields=[
                    (
                        "article",
                        models.OneToOneField(
                            db_constraint=False,
                            on_delete=django.db.models.deletion.DO_NOTHING,
                            primary_key=True,
                            related_name="search_entry",
                            serialize=False,
                            to="articles.article",
                        ),
                    ),
                    ("article_created_at", models.DateTimeField()),
                    ("title", django.contrib.postgres.search.SearchVectorField()),
                    ("head", django.contrib.postgres.search.SearchVectorField()),
                    ("document", django.contrib.postgres.search.SearchVectorField()),
                ],
                options={
                    "indexes": [
                        django.contrib.postgres.indexes.GinIndex(
                            fields=["title"], name="articlesearch_title", fastupdate=False
                        ),
                        django.contrib.postgres.indexes.GinIndex(
                            fields=["head"], name="articlesearch_head", fastupdate=False
                        ),
                        django.contrib.postgres.indexes.GinIndex(
                            fields=["document"], name="articlesearch_document", fastupdate=False
                        ),
                        models.Index(
                            fields=["-article_created_at", "-article"],
                            name="articlesearch_newest",
                        ),
                    ],
                },
            ),
        ),
        ForVendor(
            "postgresql",
            migrations.CreateModel(
                name="ArticleSearchTerm",
                fields=[
                    ("term", models.TextField(primary_key=True, serialize=False)),
                    ("articles_count", models.BigIntegerField(default=0)),
                ],
            ),
        ),
        ForVendor(
            "sqlite",
            migrations.RunSQL(FTS5_TABLE, "DROP TABLE articles_search_fts"),
        ),
        migrations.CreateModel(
            name="ArticleMilestone",
            fields=[
                (
                    "articles_count",
                    models.PositiveBigIntegerField(primary_key=True, serialize=False),
                ),
                (
                    "article_id",
                    models.BigIntegerField(help_text="The article whose creation reached it."),
                ),
                ("reached_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["-articles_count"],
            },
        ),
    ]
