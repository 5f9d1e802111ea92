"""articles.services called directly: slug rules, races and idempotence."""

import threading
from unittest import mock

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from articles import services
from articles.models import Article, Favorite
from articles.services import (
    article_create,
    article_favorite,
    article_unfavorite,
    article_update,
    slug_base,
)
from articles.tests.factories import ArticleFactory
from conduit.errors import Forbidden, Invalid


def make(author, title="Dragons", **kwargs) -> Article:
    fields = {"description": "d", "body": "b", "tag_list": []} | kwargs
    return article_create(author=author, title=title, **fields)


def test_slug_base_is_lower_case_with_dashes():
    assert slug_base("  How To: Train, Your Dragon! ") == "how-to-train-your-dragon"
    assert slug_base("Crème brûlée") == "creme-brulee"
    assert slug_base("日本語") == ""


@pytest.mark.django_db
def test_two_creates_with_the_same_title_give_two_slugs(alice, bob):
    first = make(alice)
    second = make(bob)

    assert first.slug == "dragons"
    assert second.slug.startswith("dragons-")
    assert len({first.slug, second.slug}) == 2


@pytest.mark.django_db
def test_a_slug_clash_at_insert_is_retried_with_a_suffix(alice):
    # As if a concurrent create took "dragons" between the suffix-less attempt's choice and
    # its INSERT: the unique index refuses it, and the retry picks a suffixed slug.
    ArticleFactory(title="Dragons")

    article = make(alice)

    assert article.slug.startswith("dragons-")
    assert Article.objects.filter(slug=article.slug).exists()


@pytest.mark.django_db
def test_other_integrity_errors_are_not_swallowed(alice):
    with (
        mock.patch.object(services, "insert_new", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError, match="boom"),
    ):
        make(alice)


@pytest.mark.django_db
def test_a_row_refused_while_its_slug_is_free_is_an_error_not_a_retry(alice):
    # SQLite's INSERT OR IGNORE skips a row that breaks any constraint, not only the slug's.
    with (
        mock.patch.object(services, "insert_new", return_value=[]) as insert,
        pytest.raises(IntegrityError, match="other than the slug"),
    ):
        make(alice)

    assert insert.call_count == 1


@pytest.mark.django_db
def test_other_integrity_errors_of_an_edit_are_not_swallowed(alice):
    article = make(alice)

    with (
        mock.patch.object(Article, "save", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError, match="boom"),
    ):
        article_update(article=article, user=alice, title="Wyverns")


@pytest.mark.django_db
def test_a_free_slug_costs_one_insert_and_no_savepoint_of_its_own(alice):
    with CaptureQueriesContext(connection) as captured:
        article = make(alice, title="Unclaimed")

    statements = [query["sql"] for query in captured.captured_queries]
    # The one savepoint is the service's own, nested in the test's transaction.
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 1
    inserts = [sql for sql in statements if sql.startswith("INSERT")]
    assert sum('INTO "articles_article" ' in sql for sql in inserts) == 1
    assert article.slug == "unclaimed"
    assert Article.objects.get(pk=article.pk).slug == "unclaimed"


@pytest.mark.django_db
def test_an_unchanged_title_keeps_a_suffixed_slug(alice):
    ArticleFactory(title="Dragons")
    article = make(alice)

    updated = article_update(article=article, user=alice, title="Dragons!")

    assert updated.slug == article.slug


@pytest.mark.django_db
def test_bob_cannot_update_alices_article_through_the_service(alice, bob):
    with pytest.raises(Forbidden):
        article_update(article=make(alice), user=bob, body="x")


@pytest.mark.django_db
def test_services_refuse_blank_fields_from_any_caller(alice):
    with pytest.raises(Invalid):
        make(alice, title="  ")
    with pytest.raises(Invalid):
        make(alice, tag_list=["ok", ""])


@pytest.mark.django_db
def test_favoriting_twice_takes_the_integrity_error_path_and_counts_once(
    alice, bob, mock_event_bus
):
    article = make(alice)
    mock_event_bus.reset()

    article_favorite(article=article, user=bob)
    again = article_favorite(article=article, user=bob)

    assert again.favorites_count == 1
    assert Favorite.objects.count() == 1
    assert Article.objects.get(pk=article.pk).favorites_count == 1
    assert len(mock_event_bus.published) == 1


@pytest.mark.django_db
def test_a_favorite_lost_to_a_concurrent_twin_is_not_a_500(alice, bob, mock_event_bus):
    # The twin's row appears between our "not yet favorited" and our INSERT: the unique
    # index refuses the second row and the service answers as for a repeat.
    article = make(alice)
    Favorite.objects.create(user=bob, article=article)
    Article.objects.filter(pk=article.pk).update(favorites_count=1)
    mock_event_bus.reset()

    result = article_favorite(article=article, user=bob)

    assert result.favorites_count == 1
    assert Favorite.objects.count() == 1
    mock_event_bus.assert_nothing_published()


@pytest.mark.django_db
def test_unfavorite_without_a_favorite_changes_nothing(alice, bob, mock_event_bus):
    article = make(alice)
    mock_event_bus.reset()

    assert article_unfavorite(article=article, user=bob).favorites_count == 0
    mock_event_bus.assert_nothing_published()


def _in_threads(count: int, target) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    errors: list = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_title_all_succeed_with_different_slugs(alice):
    articles = _in_threads(4, lambda: make(alice, title="Same title"))

    assert len({article.slug for article in articles}) == 4
    assert Article.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_favorites_by_one_user_leave_one_favorite(alice, bob):
    article = make(alice)

    _in_threads(4, lambda: article_favorite(article=article, user=bob))

    assert Favorite.objects.count() == 1
    assert Article.objects.get(pk=article.pk).favorites_count == 1


def test_feed_is_a_reserved_slug():
    assert "feed" in services.RESERVED_SLUGS
