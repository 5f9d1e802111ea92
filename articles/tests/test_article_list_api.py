"""GET /api/articles and /api/articles/feed: filters, order, paging, shape and query budget."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from articles.tests.factories import ArticleFactory, FavoriteFactory
from users.tests.factories import FollowFactory, UserFactory


def slugs(response) -> list[str]:
    return [article["slug"] for article in response.json()["articles"]]


def aged(**kwargs) -> Article:
    """An article `minutes` old, so that newest-first order is unambiguous."""
    minutes = kwargs.pop("minutes")
    article = ArticleFactory(**kwargs)
    moment = timezone.now() - timedelta(minutes=minutes)
    Article.objects.filter(pk=article.pk).update(created_at=moment, updated_at=moment)
    return article


@pytest.mark.django_db
def test_an_empty_list_has_no_articles_and_a_zero_count(api_client):
    assert api_client.get("/api/articles").json() == {"articles": [], "articlesCount": 0}


@pytest.mark.django_db
def test_the_list_is_newest_first(api_client):
    old = aged(minutes=30)
    new = aged(minutes=1)
    middle = aged(minutes=10)

    assert slugs(api_client.get("/api/articles")) == [new.slug, middle.slug, old.slug]


@pytest.mark.django_db
def test_list_items_have_no_body(api_client):
    ArticleFactory(tag_list=["x"])

    item = api_client.get("/api/articles").json()["articles"][0]

    assert "body" not in item
    assert list(item) == [
        "slug",
        "title",
        "description",
        "tagList",
        "createdAt",
        "updatedAt",
        "favorited",
        "favoritesCount",
        "author",
    ]
    assert item["tagList"] == ["x"]


@pytest.mark.django_db
def test_limit_and_offset_page_through_and_articles_count_is_the_total(api_client):
    articles = [aged(minutes=minutes) for minutes in range(5)]  # articles[0] is newest

    response = api_client.get("/api/articles", {"limit": 2, "offset": 1})

    assert slugs(response) == [articles[1].slug, articles[2].slug]
    assert response.json()["articlesCount"] == 5


@pytest.mark.django_db
def test_the_default_page_is_twenty(api_client):
    for minutes in range(21):
        aged(minutes=minutes)

    response = api_client.get("/api/articles")

    assert len(response.json()["articles"]) == 20
    assert response.json()["articlesCount"] == 21


@pytest.mark.django_db
def test_an_offset_past_the_end_gives_an_empty_page_and_the_total(api_client):
    ArticleFactory()

    response = api_client.get("/api/articles", {"offset": 5})

    assert response.json() == {"articles": [], "articlesCount": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"limit": "x"}, {"limit": 0}, {"offset": -1}])
def test_a_bad_limit_or_offset_is_422(api_client, query):
    response = api_client.get("/api/articles", query)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == list(query)


@pytest.mark.django_db
def test_filter_by_tag(api_client):
    dragons = ArticleFactory(tag_list=["dragons", "fire"])
    ArticleFactory(tag_list=["fire"])
    ArticleFactory()

    response = api_client.get("/api/articles", {"tag": "dragons"})

    assert slugs(response) == [dragons.slug]
    assert response.json()["articlesCount"] == 1
    # The filter does not cut the other tags out of the item.
    assert response.json()["articles"][0]["tagList"] == ["dragons", "fire"]


@pytest.mark.django_db
def test_filter_by_author(api_client, alice, bob):
    mine = ArticleFactory(author=alice)
    ArticleFactory(author=bob)

    assert slugs(api_client.get("/api/articles", {"author": "alice"})) == [mine.slug]


@pytest.mark.django_db
def test_filter_by_the_user_who_favorited(api_client, alice, bob):
    liked = ArticleFactory()
    ArticleFactory()
    FavoriteFactory(user=bob, article=liked)
    FavoriteFactory(user=alice, article=liked)

    response = api_client.get("/api/articles", {"favorited": "bob"})

    assert slugs(response) == [liked.slug]
    assert response.json()["articlesCount"] == 1


@pytest.mark.django_db
def test_filters_combine(api_client, alice, bob, charlie):
    match = ArticleFactory(author=alice, tag_list=["dragons"])
    wrong_tag = ArticleFactory(author=alice, tag_list=["fire"])
    wrong_author = ArticleFactory(author=bob, tag_list=["dragons"])
    not_favorited = ArticleFactory(author=alice, tag_list=["dragons"])
    for article in (match, wrong_tag, wrong_author):
        FavoriteFactory(user=charlie, article=article)
    FavoriteFactory(user=bob, article=not_favorited)

    response = api_client.get(
        "/api/articles", {"tag": "dragons", "author": "alice", "favorited": "charlie"}
    )

    assert slugs(response) == [match.slug]
    assert response.json()["articlesCount"] == 1


@pytest.mark.django_db
def test_unknown_filter_values_give_an_empty_list(api_client):
    ArticleFactory(tag_list=["a"])

    for query in ({"tag": "zzz"}, {"author": "nobody"}, {"favorited": "nobody"}):
        assert api_client.get("/api/articles", query).json() == {
            "articles": [],
            "articlesCount": 0,
        }


@pytest.mark.django_db
def test_favorited_and_following_are_for_the_viewer(alice, bob, charlie, client_for):
    article = ArticleFactory(author=alice)
    FavoriteFactory(user=bob, article=article)
    FavoriteFactory(user=charlie, article=article)
    FollowFactory(follower=bob, followed=alice)

    as_bob = client_for(bob).get("/api/articles").json()["articles"][0]
    as_charlie = client_for(charlie).get("/api/articles").json()["articles"][0]

    assert (as_bob["favorited"], as_bob["author"]["following"]) == (True, True)
    assert (as_charlie["favorited"], as_charlie["author"]["following"]) == (True, False)
    assert as_bob["favoritesCount"] == as_charlie["favoritesCount"] == 2


@pytest.mark.django_db
def test_the_feed_holds_articles_by_followed_authors_newest_first(alice, bob, charlie, client_for):
    FollowFactory(follower=alice, followed=bob)
    FollowFactory(follower=alice, followed=charlie)
    old = aged(author=bob, minutes=20)
    new = aged(author=charlie, minutes=1)
    aged(author=alice, minutes=5)
    aged(author=UserFactory(), minutes=2)

    response = client_for(alice).get("/api/articles/feed")

    assert response.status_code == 200
    assert slugs(response) == [new.slug, old.slug]
    assert response.json()["articlesCount"] == 2
    item = response.json()["articles"][0]
    assert "body" not in item
    assert item["author"]["following"] is True


@pytest.mark.django_db
def test_the_feed_pages_like_the_list(alice, bob, client_for):
    FollowFactory(follower=alice, followed=bob)
    articles = [aged(author=bob, minutes=minutes) for minutes in range(4)]

    response = client_for(alice).get("/api/articles/feed", {"limit": 1, "offset": 2})

    assert slugs(response) == [articles[2].slug]
    assert response.json()["articlesCount"] == 4


@pytest.mark.django_db
def test_a_new_users_feed_is_empty(alice, client_for):
    ArticleFactory()

    response = client_for(alice).get("/api/articles/feed")

    assert response.json() == {"articles": [], "articlesCount": 0}


@pytest.mark.django_db
def test_the_feed_needs_a_token(api_client):
    response = api_client.get("/api/articles/feed")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}


def _arrange_many(viewer, author, count: int) -> None:
    FollowFactory(follower=viewer, followed=author)
    for _ in range(count):
        article = ArticleFactory(author=author, tag_list=["a", "b", "c"])
        FavoriteFactory(article=article, user=viewer)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 50])
def test_the_list_costs_four_queries_at_any_page_size(
    alice, bob, client_for, django_assert_num_queries, count
):
    _arrange_many(alice, bob, count)
    client = client_for(alice)

    # user (auth), count (a combination of filters is counted), page, the viewer's marks
    with django_assert_num_queries(4):
        response = client.get("/api/articles", {"limit": 100, "tag": "a", "author": "bob"})

    assert len(response.json()["articles"]) == count


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 50])
def test_the_anonymous_list_costs_two_queries_at_any_page_size(
    alice, bob, api_client, django_assert_num_queries, count
):
    _arrange_many(alice, bob, count)

    with django_assert_num_queries(2):
        response = api_client.get("/api/articles", {"limit": 100, "favorited": "alice"})

    assert len(response.json()["articles"]) == count


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 50])
def test_the_feed_costs_four_queries_at_any_page_size(
    alice, bob, client_for, django_assert_num_queries, count
):
    _arrange_many(alice, bob, count)
    client = client_for(alice)

    with django_assert_num_queries(4):
        response = client.get("/api/articles/feed", {"limit": 100})

    assert len(response.json()["articles"]) == count


@pytest.mark.django_db
def test_a_single_article_costs_three_queries(alice, bob, client_for, django_assert_num_queries):
    article = ArticleFactory(author=bob, tag_list=["a", "b"])
    client = client_for(alice)

    # user (auth), the article, the viewer's favorite and follow
    with django_assert_num_queries(3):
        client.get(f"/api/articles/{article.slug}")


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 50])
@pytest.mark.parametrize(
    "filters", [{}, {"tag": "a"}, {"author": "bob"}, {"favorited": "alice"}], ids=str
)
def test_a_list_with_one_filter_or_none_reads_its_total_and_page_in_two_queries(
    alice, bob, api_client, django_assert_num_queries, count, filters
):
    _arrange_many(alice, bob, count)

    # the total from a counter (with the tag's or user's id), the page with its tags
    with django_assert_num_queries(2):
        response = api_client.get("/api/articles", {"limit": 100, **filters})

    assert response.json()["articlesCount"] == count
    assert len(response.json()["articles"]) == count
    assert response.json()["articles"][0]["tagList"] == ["a", "b", "c"]


@pytest.mark.django_db
def test_the_feed_pages_through_followed_authors_newest_first_past_a_prolific_stranger(
    alice, bob, charlie, client_for
):
    dana = UserFactory(username="dana")
    FollowFactory(follower=alice, followed=bob)
    FollowFactory(follower=alice, followed=dana)
    start = timezone.now() - timedelta(days=30)
    followed_titles = []
    for day in range(6):
        author = bob if day % 2 else dana
        article = ArticleFactory(author=author, created_at=start + timedelta(days=day))
        followed_titles.append(article.title)
    for hour in range(30):  # charlie, whom alice does not follow, writes more and later
        ArticleFactory(author=charlie, created_at=start + timedelta(days=10, hours=hour))
    newest_first = list(reversed(followed_titles))
    client = client_for(alice)

    pages = [
        client.get("/api/articles/feed", {"limit": 4, "offset": offset}).json() for offset in (0, 4)
    ]

    assert [page["articlesCount"] for page in pages] == [6, 6]
    assert [a["title"] for a in pages[0]["articles"]] == newest_first[:4]
    assert [a["title"] for a in pages[1]["articles"]] == newest_first[4:]
