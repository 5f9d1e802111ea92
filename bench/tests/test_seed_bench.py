"""seed_bench builds a consistent data set, and publishes nothing."""

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from articles.counters import counters_rebuild, counters_snapshot
from articles.models import Article, ArticleTag, Favorite
from comments.models import Comment
from events.models import EventRecord
from tags.models import Tag
from users.models import Follow, User

SMALL = {"users": 12, "articles": 40, "comments": 30, "favorites": 60, "follows": 3, "tags": 8}


def seed(**options: object) -> None:
    call_command("seed_bench", **(SMALL | options), stdout=io.StringIO())


@pytest.mark.django_db
def test_seed_bench_writes_the_requested_numbers_of_rows():
    seed()
    assert User.objects.count() == 12
    assert Article.objects.count() == 40
    assert Comment.objects.count() == 30
    assert Favorite.objects.count() == 60
    assert Follow.objects.count() == 12 * 3
    assert Tag.objects.count() == 8
    assert User.objects.filter(email="bench0@example.com").get().check_password("password")


@pytest.mark.django_db
def test_favorites_count_equals_the_favorite_rows():
    seed()
    for article in Article.objects.annotate(rows=Count("favorites")):
        assert article.favorites_count == article.rows


@pytest.mark.django_db
def test_the_denormalised_counters_and_tag_lists_match_the_rows():
    seed()
    seeded = counters_snapshot()

    counters_rebuild()

    assert counters_snapshot() == seeded
    assert seeded["total"] == 40
    for article in Article.objects.all():
        links = article.article_tags.order_by("position").select_related("tag")
        assert article.tag_list == [link.tag.name for link in links]
        assert all(link.article_created_at == article.created_at for link in links)


@pytest.mark.django_db
def test_follows_are_unique_and_never_self_follows():
    seed(follows=11)  # everyone follows everyone else
    pairs = list(Follow.objects.values_list("follower_id", "followed_id"))
    assert len(pairs) == len(set(pairs)) == 12 * 11
    assert all(follower != followed for follower, followed in pairs)


@pytest.mark.django_db
def test_slugs_are_unique_and_articles_have_one_to_three_tags():
    seed()
    assert Article.objects.values("slug").distinct().count() == 40
    tags_per_article = Counter(ArticleTag.objects.values_list("article_id", flat=True))
    assert set(tags_per_article) == set(Article.objects.values_list("id", flat=True))
    assert all(1 <= n <= 3 for n in tags_per_article.values())


@pytest.mark.django_db(transaction=True)  # --flush truncates, which a test transaction forbids
def test_seed_bench_is_deterministic_and_publishes_no_events():
    seed()
    first = list(Article.objects.order_by("id").values_list("slug", "favorites_count"))
    seed(flush=True)
    assert list(Article.objects.order_by("id").values_list("slug", "favorites_count")) == first
    assert not EventRecord.objects.exists()


@pytest.mark.django_db
def test_seed_bench_refuses_a_non_empty_database_unless_forced():
    seed()
    with pytest.raises(CommandError, match="not empty"):
        seed()
    seed(if_empty=True)
    assert Article.objects.count() == 40
    seed(force=True)
    assert Article.objects.count() == 80
    assert Tag.objects.count() == 8  # the tag names are reused
    assert User.objects.filter(email="bench12@example.com").exists()


@pytest.mark.django_db
def test_events_writes_a_history_and_the_analytics_kept_beside_it(mock_event_bus):
    seed(events=400)

    from events.models import Delivery
    from events.system.analytics.models import (
        ArticleViews,
        HourlyCount,
        Milestone,
        SearchCount,
        TrafficMinute,
    )

    by_type = Counter(EventRecord.objects.values_list("type", flat=True))
    rolled_up = Counter()
    for name, count in HourlyCount.objects.filter(kind=HourlyCount.PUBLISHED).values_list(
        "name", "count"
    ):
        rolled_up[name] += count
    assert sum(by_type.values()) == 400
    assert rolled_up == by_type
    assert Delivery.objects.count() == 100
    assert ArticleViews.objects.exists() and SearchCount.objects.exists()
    assert Milestone.objects.exists() and TrafficMinute.objects.count() == 24 * 60
    mock_event_bus.assert_nothing_published()
