"""Create, read, update and delete one article over HTTP."""

import re
from datetime import timedelta

import pytest

from articles.models import Article, ArticleTag, Favorite
from articles.tests.factories import ArticleFactory, FavoriteFactory
from comments.models import Comment
from comments.tests.factories import CommentFactory
from tags.models import Tag
from users.tests.factories import FollowFactory

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NEW_ARTICLE = {
    "title": "How to train your dragon",
    "description": "Ever wonder how?",
    "body": "You have to believe",
    "tagList": ["reactjs", "angularjs", "dragons"],
}


def create(client, **fields):
    return client.post("/api/articles", {"article": NEW_ARTICLE | fields}, format="json")


@pytest.mark.django_db
def test_alice_creates_an_article_and_gets_it_back_in_the_spec_shape(alice, client_for):
    response = create(client_for(alice))

    assert response.status_code == 201
    article = response.json()["article"]
    assert list(article) == [
        "slug",
        "title",
        "description",
        "body",
        "tagList",
        "createdAt",
        "updatedAt",
        "favorited",
        "favoritesCount",
        "author",
    ]
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["title"] == "How to train your dragon"
    assert article["body"] == "You have to believe"
    assert article["tagList"] == ["angularjs", "dragons", "reactjs"]
    assert TIMESTAMP.match(article["createdAt"])
    assert TIMESTAMP.match(article["updatedAt"])
    assert article["favorited"] is False
    assert article["favoritesCount"] == 0
    assert article["author"] == {
        "username": "alice",
        "bio": None,
        "image": None,
        "following": False,
    }


@pytest.mark.django_db
def test_tag_list_comes_back_sorted_with_duplicates_dropped(alice, client_for):
    response = create(client_for(alice), tagList=["zeta", "alpha", "zeta", " mu ", "alpha"])

    assert response.status_code == 201
    assert response.json()["article"]["tagList"] == ["alpha", "mu", "zeta"]


@pytest.mark.django_db
def test_training_and_dragons_come_back_as_dragons_and_training_everywhere(
    alice, api_client, client_for
):
    # The older public Postman collection's check, on every response that carries tagList.
    slug = create(client_for(alice), tagList=["training", "dragons"]).json()["article"]["slug"]

    single = api_client.get(f"/api/articles/{slug}").json()["article"]
    listed = api_client.get("/api/articles").json()["articles"]
    by_tag = api_client.get("/api/articles?tag=training").json()["articles"]
    updated = client_for(alice).put(
        f"/api/articles/{slug}", {"article": {"tagList": ["training", "dragons", "angular"]}}
    )

    assert single["tagList"] == ["dragons", "training"]
    assert [item["tagList"] for item in listed] == [["dragons", "training"]]
    assert [item["tagList"] for item in by_tag] == [["dragons", "training"]]
    assert updated.json()["article"]["tagList"] == ["angular", "dragons", "training"]
    assert Article.objects.get(slug=slug).tag_list == ["angular", "dragons", "training"]


@pytest.mark.django_db
def test_tag_list_is_optional_on_create(alice, client_for):
    fields = {key: value for key, value in NEW_ARTICLE.items() if key != "tagList"}
    response = client_for(alice).post("/api/articles", {"article": fields}, format="json")

    assert response.status_code == 201
    assert response.json()["article"]["tagList"] == []


@pytest.mark.django_db
def test_two_articles_with_the_same_title_get_different_slugs(alice, bob, client_for):
    first = create(client_for(alice)).json()["article"]["slug"]
    second = create(client_for(bob)).json()["article"]["slug"]

    assert first == "how-to-train-your-dragon"
    assert second != first
    assert second.startswith("how-to-train-your-dragon-")
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_a_title_without_ascii_letters_still_gets_a_slug(alice, client_for):
    response = create(client_for(alice), title="日本語のタイトル")

    slug = response.json()["article"]["slug"]
    assert response.status_code == 201
    assert re.fullmatch(r"[a-z0-9-]+", slug)
    assert client_for(alice).get(f"/api/articles/{slug}").status_code == 200


@pytest.mark.django_db
def test_an_article_titled_feed_does_not_hide_behind_the_feed_url(alice, client_for):
    slug = create(client_for(alice), title="Feed").json()["article"]["slug"]

    assert slug != "feed"
    assert slug.startswith("feed-")
    assert client_for(alice).get(f"/api/articles/{slug}").json()["article"]["title"] == "Feed"


@pytest.mark.django_db
def test_anonymous_cannot_create_an_article(api_client):
    response = api_client.post("/api/articles", {"article": NEW_ARTICLE}, format="json")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}


@pytest.mark.django_db
def test_a_tampered_token_is_refused_where_auth_is_required(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not.a.jwt")

    response = create(api_client)

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is invalid"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["title", "description", "body"])
@pytest.mark.parametrize("value", ["", "   ", None, "<missing>"])
def test_create_requires_title_description_and_body(alice, client_for, field, value):
    fields = dict(NEW_ARTICLE)
    if value == "<missing>":
        del fields[field]
    else:
        fields[field] = value

    response = client_for(alice).post("/api/articles", {"article": fields}, format="json")

    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}
    assert not Article.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", [42, True, ["a"], {"a": 1}])
def test_a_title_that_is_not_a_string_is_422(alice, client_for, value):
    response = create(client_for(alice), title=value)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["title"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", [None, "dragons", [1, 2], [None], {"a": "b"}])
def test_a_tag_list_that_is_not_a_list_of_strings_is_422(alice, client_for, value):
    response = create(client_for(alice), tagList=value)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["tagList"]
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_a_blank_tag_name_is_422(alice, client_for):
    response = create(client_for(alice), tagList=["dragons", "  "])

    assert response.status_code == 422
    assert response.json() == {"errors": {"tagList": ["can't contain blank names"]}}


@pytest.mark.django_db
def test_an_article_takes_up_to_25_names_duplicates_folded(alice, client_for):
    names = [f"tag-{index:02}" for index in range(20)]

    response = create(client_for(alice), tagList=[*names, *names[:5]])

    assert response.status_code == 201
    assert response.json()["article"]["tagList"] == names


@pytest.mark.django_db
def test_26_names_are_422_even_with_duplicates_as_the_schema_says(alice, client_for):
    """The schema's maxItems counts the list as sent."""
    names = [f"tag-{index:02}" for index in range(13)]

    response = create(client_for(alice), tagList=[*names, *names])

    assert response.status_code == 422
    assert response.json() == {"errors": {"tagList": ["is too long (maximum is 25 tags)"]}}


@pytest.mark.django_db
def test_a_26th_tag_is_422_and_nothing_is_written(alice, client_for):
    response = create(client_for(alice), tagList=[f"tag-{index:02}" for index in range(26)])

    assert response.status_code == 422
    assert response.json() == {"errors": {"tagList": ["is too long (maximum is 25 tags)"]}}
    assert not Article.objects.exists()
    assert not Tag.objects.exists()


@pytest.mark.django_db
def test_ten_thousand_tags_on_update_are_422_and_keep_the_tags(alice, client_for):
    article = ArticleFactory(author=alice, tag_list=["kept"])

    response = client_for(alice).put(
        f"/api/articles/{article.slug}",
        {"article": {"tagList": [f"tag-{index}" for index in range(10_000)]}},
    )

    assert response.status_code == 422
    assert response.json() == {"errors": {"tagList": ["is too long (maximum is 25 tags)"]}}
    assert Article.objects.get(pk=article.pk).tag_list == ["kept"]


@pytest.mark.django_db
def test_a_tag_name_of_100_characters_is_accepted_and_of_101_is_422(alice, client_for):
    accepted = create(client_for(alice), tagList=["x" * 100])
    refused = create(client_for(alice), tagList=["y" * 101])

    assert accepted.status_code == 201
    assert refused.status_code == 422
    assert refused.json() == {"errors": {"tagList": ["names are at most 100 characters"]}}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["a\x00b", "line\nbreak", "tab\tstop"])
def test_a_tag_name_with_a_control_character_is_422(alice, client_for, name):
    response = create(client_for(alice), tagList=["fine", name])

    assert response.status_code == 422
    assert response.json() == {"errors": {"tagList": ["names can't contain control characters"]}}
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_a_title_longer_than_255_characters_is_422(alice, client_for):
    response = create(client_for(alice), title="x" * 256)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["title"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"title": "x"}, [], "article", {"article": "x"}])
def test_a_body_not_wrapped_in_article_is_422(alice, client_for, body):
    response = client_for(alice).post("/api/articles", body, format="json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_422(alice, client_for):
    response = client_for(alice).post("/api/articles", "{not json", content_type="application/json")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.django_db
def test_anyone_gets_an_article_by_slug_with_its_body(api_client):
    article = ArticleFactory(title="Dragons", body="Scales.", tag_list=["b", "a"])

    response = api_client.get(f"/api/articles/{article.slug}")

    assert response.status_code == 200
    data = response.json()["article"]
    assert data["body"] == "Scales."
    assert data["tagList"] == ["a", "b"]
    assert data["favorited"] is False
    assert data["author"]["following"] is False


@pytest.mark.django_db
def test_bob_sees_that_he_follows_and_favorited_alices_article(alice, bob, client_for):
    article = ArticleFactory(author=alice)
    FollowFactory(follower=bob, followed=alice)
    FavoriteFactory(user=bob, article=article)

    data = client_for(bob).get(f"/api/articles/{article.slug}").json()["article"]

    assert data["favorited"] is True
    assert data["favoritesCount"] == 1
    assert data["author"]["following"] is True


@pytest.mark.django_db
def test_an_unknown_slug_is_404(api_client):
    response = api_client.get("/api/articles/no-such-article")

    assert response.status_code == 404
    assert response.json() == {"errors": {"article": ["not found"]}}


@pytest.mark.django_db
def test_alice_updates_the_body_and_keeps_the_slug(alice, client_for):
    article = ArticleFactory(author=alice, title="Dragons", tag_list=["a", "b"])

    response = client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"body": "New body"}}, format="json"
    )

    assert response.status_code == 200
    data = response.json()["article"]
    assert data["slug"] == "dragons"
    assert data["body"] == "New body"
    assert data["title"] == "Dragons"
    assert data["tagList"] == ["a", "b"]


@pytest.mark.django_db
def test_changing_the_title_changes_the_slug(alice, client_for):
    article = ArticleFactory(author=alice, title="Dragons")

    response = client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"title": "Wyverns"}}, format="json"
    )

    assert response.json()["article"]["slug"] == "wyverns"
    assert client_for(alice).get("/api/articles/dragons").status_code == 404
    assert client_for(alice).get("/api/articles/wyverns").status_code == 200


@pytest.mark.django_db
def test_a_new_title_taken_by_another_article_gets_a_suffixed_slug(alice, client_for):
    ArticleFactory(title="Wyverns")
    article = ArticleFactory(author=alice, title="Dragons")

    response = client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"title": "Wyverns"}}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["article"]["slug"].startswith("wyverns-")


@pytest.mark.django_db
def test_update_moves_updated_at_and_never_created_at(alice, client_for):
    article = ArticleFactory(author=alice)
    Article.objects.filter(pk=article.pk).update(
        created_at=article.created_at - timedelta(days=1),
        updated_at=article.updated_at - timedelta(days=1),
    )
    before = client_for(alice).get(f"/api/articles/{article.slug}").json()["article"]

    after = (
        client_for(alice)
        .put(f"/api/articles/{article.slug}", {"article": {}}, format="json")
        .json()["article"]
    )

    assert after["createdAt"] == before["createdAt"]
    assert after["updatedAt"] > before["updatedAt"]


@pytest.mark.django_db
def test_omitting_tag_list_on_update_keeps_the_tags(alice, client_for):
    article = ArticleFactory(author=alice, tag_list=["a", "b"])

    response = client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"description": "d"}}, format="json"
    )

    assert response.json()["article"]["tagList"] == ["a", "b"]


@pytest.mark.django_db
def test_an_empty_tag_list_on_update_removes_every_tag(alice, client_for):
    article = ArticleFactory(author=alice, tag_list=["a", "b"])

    response = client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"tagList": []}}, format="json"
    )

    assert response.json()["article"]["tagList"] == []
    assert not ArticleTag.objects.filter(article=article).exists()


@pytest.mark.django_db
def test_a_new_tag_list_on_update_replaces_the_tags_sorted(alice, client_for):
    article = ArticleFactory(author=alice, tag_list=["a", "b", "c"])

    response = client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"tagList": ["c", "d", "a", "d"]}}
    )

    assert response.json()["article"]["tagList"] == ["a", "c", "d"]


@pytest.mark.django_db
def test_a_null_tag_list_on_update_is_422_and_keeps_the_tags(alice, client_for):
    article = ArticleFactory(author=alice, tag_list=["a"])

    response = client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {"tagList": None}}, format="json"
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["tagList"]
    assert client_for(alice).get(f"/api/articles/{article.slug}").json()["article"]["tagList"] == [
        "a"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["title", "description", "body"])
def test_update_cannot_blank_a_required_field(alice, client_for, field):
    article = ArticleFactory(author=alice)

    response = client_for(alice).put(
        f"/api/articles/{article.slug}", {"article": {field: " "}}, format="json"
    )

    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}


@pytest.mark.django_db
def test_bob_cannot_update_alices_article(alice, bob, client_for):
    article = ArticleFactory(author=alice, title="Dragons")

    response = client_for(bob).put(
        f"/api/articles/{article.slug}", {"article": {"title": "Mine"}}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"errors": {"article": ["forbidden"]}}
    assert Article.objects.get(pk=article.pk).title == "Dragons"


@pytest.mark.django_db
def test_anonymous_cannot_update_an_article(api_client):
    article = ArticleFactory()

    response = api_client.put(f"/api/articles/{article.slug}", {"article": {"title": "x"}})

    assert response.status_code == 401


@pytest.mark.django_db
def test_updating_an_unknown_article_is_404(alice, client_for):
    response = client_for(alice).put("/api/articles/nope", {"article": {"title": "x"}})

    assert response.status_code == 404
    assert response.json() == {"errors": {"article": ["not found"]}}


@pytest.mark.django_db
def test_alice_deletes_her_article_with_its_comments_favorites_and_tag_links(
    alice, bob, client_for
):
    article = ArticleFactory(author=alice, tag_list=["a"])
    other = ArticleFactory(author=alice)
    CommentFactory(article=article, author=bob)
    kept_comment = CommentFactory(article=other, author=bob)
    FavoriteFactory(article=article, user=bob)

    response = client_for(alice).delete(f"/api/articles/{article.slug}")

    assert response.status_code == 204
    assert response.content == b""
    assert list(Article.objects.all()) == [other]
    assert list(Comment.objects.all()) == [kept_comment]
    assert not Favorite.objects.exists()
    assert not ArticleTag.objects.exists()
    assert client_for(alice).get(f"/api/articles/{article.slug}").status_code == 404


@pytest.mark.django_db
def test_bob_cannot_delete_alices_article(alice, bob, client_for):
    article = ArticleFactory(author=alice)

    response = client_for(bob).delete(f"/api/articles/{article.slug}")

    assert response.status_code == 403
    assert response.json() == {"errors": {"article": ["forbidden"]}}
    assert Article.objects.filter(pk=article.pk).exists()


@pytest.mark.django_db
def test_anonymous_delete_of_an_unknown_article_is_401_before_404(api_client):
    assert api_client.delete("/api/articles/nope").status_code == 401


@pytest.mark.django_db
def test_deleting_an_unknown_article_is_404(alice, client_for):
    response = client_for(alice).delete("/api/articles/nope")

    assert response.status_code == 404
    assert response.json() == {"errors": {"article": ["not found"]}}


@pytest.mark.django_db
def test_an_unsupported_method_is_405_in_the_error_shape(alice, client_for):
    response = client_for(alice).patch("/api/articles", {}, format="json")

    assert response.status_code == 405
    assert "errors" in response.json()
