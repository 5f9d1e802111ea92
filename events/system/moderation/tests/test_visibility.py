"""Hidden content is gone from every API read for everyone but staff (lists, feed, the
article, comment lists, tags, every articlesCount and favoritesCount), and approving brings
every read back exactly as it was. The counters move as a delete would move them."""

import pytest

from articles.counters import counters_rebuild, counters_snapshot
from articles.models import Article
from articles.services import article_create, article_favorite
from articles.tests.factories import ArticleFactory
from comments.models import Comment
from comments.services import comment_create
from events.system.moderation.models import ModerationItem
from events.system.moderation.services import content_approve, content_flag, content_remove
from users.services import user_delete, user_follow
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HIDDEN, VISIBLE = "the-hidden-one", "the-visible-one"
SECOND_PAGE = "/api/articles?limit=1&offset=1"
# Every read endpoint, with the article and comment list of both articles.
LISTS = [
    "/api/articles",
    "/api/articles?tag=secret",
    "/api/articles?tag=shared",
    "/api/articles?author=bob",
    "/api/articles?favorited=alice",
    "/api/articles?tag=shared&author=bob",
    "/api/articles?tag=shared&favorited=alice",
    SECOND_PAGE,
]
FEED = "/api/articles/feed"
ONE = [f"/api/articles/{HIDDEN}", f"/api/articles/{VISIBLE}"]
COMMENTS = [f"/api/articles/{HIDDEN}/comments", f"/api/articles/{VISIBLE}/comments"]
OTHERS = ["/api/tags", "/api/profiles/bob", "/api/profiles/charlie"]


@pytest.fixture
def world(alice, bob, charlie, mock_event_bus, settings):
    """bob wrote two articles that alice favorited (she follows him); charlie commented on
    both. The first article and one comment on the second will be hidden."""
    settings.MODERATION_FLAGS_TO_HIDE = 1
    user_follow(follower=alice, followed=bob)
    hidden = article_create(
        author=bob, title="The hidden one", description="d", body="b", tag_list=["secret", "shared"]
    )
    visible = article_create(
        author=bob, title="The visible one", description="d", body="b", tag_list=["shared"]
    )
    for article in (hidden, visible):
        article_favorite(article=article, user=alice)
        article_favorite(article=article, user=charlie)
        comment_create(article=article, author=charlie, body="First!")
    hidden_comment = comment_create(article=visible, author=charlie, body="Buy my stuff")
    comment_create(article=visible, author=alice, body="Thanks")
    return {"article": hidden, "comment": hidden_comment}


def read_everything(client, *, feed: bool) -> dict[str, tuple[int, object]]:
    paths = [*LISTS, *ONE, *COMMENTS, *OTHERS, *([FEED] if feed else [])]
    return {path: _read(client, path) for path in paths}


def _read(client, path: str) -> tuple[int, object]:
    response = client.get(path)
    return response.status_code, response.json()


def without_hidden(reads: dict, hidden_comment_id: int) -> dict:
    """What the reads must show while the article and the comment are hidden: exactly what
    they showed, less those two, every count less what they counted."""
    expected = {}
    for path, (status, body) in reads.items():
        if path in (ONE[0], COMMENTS[0]):
            expected[path] = (404, {"errors": {"article": ["not found"]}})
        elif path == SECOND_PAGE:  # the hidden article was the second; now the list ends
            expected[path] = (status, {"articles": [], "articlesCount": 1})
        elif path == "/api/tags":
            expected[path] = (status, {"tags": [t for t in body["tags"] if t != "secret"]})
        elif "articles" in body:
            kept = [article for article in body["articles"] if article["slug"] != HIDDEN]
            gone = len(body["articles"]) - len(kept)
            expected[path] = (
                status,
                {"articles": kept, "articlesCount": body["articlesCount"] - gone},
            )
        elif "comments" in body:
            kept = [comment for comment in body["comments"] if comment["id"] != hidden_comment_id]
            expected[path] = (status, {"comments": kept})
        else:
            expected[path] = (status, body)
    return expected


def test_hidden_content_is_gone_from_every_read_and_approval_brings_it_all_back(
    world, api_client, client_for, alice, charlie, bob
):
    readers = {"anonymous": (api_client, False), "alice": (client_for(alice), True)}
    before = {name: read_everything(client, feed=feed) for name, (client, feed) in readers.items()}
    counted = counters_snapshot()
    assert before["alice"][FEED][1]["articlesCount"] == 2
    assert before["anonymous"]["/api/articles?favorited=alice"][1]["articlesCount"] == 2

    content_flag(user=alice, article=world["article"], reason="spam")
    content_flag(user=alice, article=world["article"], comment=world["comment"], reason="abuse")

    for name, (client, feed) in readers.items():
        hidden_reads = read_everything(client, feed=feed)
        assert hidden_reads == without_hidden(before[name], world["comment"].pk), name
    assert counters_snapshot() == _recounted()

    moderator = UserFactory(is_staff=True)
    for item in ModerationItem.objects.all():
        content_approve(item=item, moderator=moderator)

    for name, (client, feed) in readers.items():
        assert read_everything(client, feed=feed) == before[name], name
    assert counters_snapshot() == counted


def test_staff_still_read_hidden_content_by_its_address(world, client_for, alice):
    content_flag(user=alice, article=world["article"], reason="spam")
    content_flag(user=alice, article=world["article"], comment=world["comment"], reason="spam")
    staff = client_for(UserFactory(is_staff=True))

    article = staff.get(f"/api/articles/{HIDDEN}")
    comments = staff.get(f"/api/articles/{VISIBLE}/comments")

    assert article.status_code == 200
    assert article.json()["article"]["slug"] == HIDDEN
    assert world["comment"].pk in [comment["id"] for comment in comments.json()["comments"]]
    assert staff.get(f"/api/articles/{HIDDEN}/comments").status_code == 200
    # Lists and counts stay the public's, for staff too.
    assert [a["slug"] for a in staff.get("/api/articles").json()["articles"]] == [VISIBLE]


def test_no_write_reaches_hidden_content_through_the_api(world, client_for, alice, bob, charlie):
    content_flag(user=alice, article=world["article"], reason="spam")
    content_flag(user=alice, article=world["article"], comment=world["comment"], reason="spam")
    not_found = {"errors": {"article": ["not found"]}}
    writes = [
        (bob, "put", f"/api/articles/{HIDDEN}", {"article": {"body": "x"}}),
        (bob, "delete", f"/api/articles/{HIDDEN}", None),
        (charlie, "post", f"/api/articles/{HIDDEN}/favorite", None),
        (alice, "delete", f"/api/articles/{HIDDEN}/favorite", None),
        (charlie, "post", f"/api/articles/{HIDDEN}/comments", {"comment": {"body": "x"}}),
        (charlie, "post", f"/api/articles/{HIDDEN}/flag", {"flag": {"reason": "spam"}}),
    ]

    for user, method, path, body in writes:
        response = getattr(client_for(user), method)(path, body, format="json")
        assert (response.status_code, response.json()) == (404, not_found), (method, path)

    comment_path = f"/api/articles/{VISIBLE}/comments/{world['comment'].pk}"
    for method, path in (("delete", comment_path), ("post", f"{comment_path}/flag")):
        response = getattr(client_for(charlie if method == "delete" else bob), method)(
            path, {"flag": {"reason": "spam"}}, format="json"
        )
        assert (response.status_code, response.json()) == (
            404,
            {"errors": {"comment": ["not found"]}},
        )
    assert Article.objects.filter(slug=HIDDEN).exists()
    assert Comment.objects.filter(pk=world["comment"].pk).exists()


def test_removed_content_stays_hidden_and_its_counters_stay_exact(world, alice):
    content_flag(user=alice, article=world["article"], reason="spam")
    item_of_article = ModerationItem.objects.get()
    content_remove(item=item_of_article, moderator=UserFactory(is_staff=True))

    assert Article.objects.get(slug=HIDDEN).hidden is True
    assert counters_snapshot() == _recounted()


def test_an_account_removal_with_hidden_content_keeps_every_counter_exact(
    world, alice, bob, charlie
):
    content_flag(user=alice, article=world["article"], reason="spam")

    user_delete(user=alice)  # took back her favorite of the hidden article
    assert counters_snapshot() == _recounted()
    user_delete(user=bob)  # deleted the hidden article with the visible one
    assert counters_snapshot() == _recounted()
    assert not Article.objects.exists()


def test_the_read_cache_forgets_what_hiding_and_approving_change(
    api_client, alice, bob, settings, django_capture_on_commit_callbacks
):
    settings.MODERATION_FLAGS_TO_HIDE = 1
    settings.READ_CACHE_SECONDS = 60
    article = ArticleFactory(author=bob, slug=HIDDEN)
    assert api_client.get(f"/api/articles/{HIDDEN}").status_code == 200  # now remembered

    with django_capture_on_commit_callbacks(execute=True):
        content_flag(user=alice, article=article, reason="spam")
    assert api_client.get(f"/api/articles/{HIDDEN}").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        content_approve(item=ModerationItem.objects.get(), moderator=UserFactory(is_staff=True))
    assert api_client.get(f"/api/articles/{HIDDEN}").status_code == 200


def _recounted() -> dict[str, int]:
    counters_rebuild()
    return counters_snapshot()


def test_approval_counts_back_a_reader_whose_counter_a_rebuild_dropped(alice, bob, settings):
    settings.MODERATION_FLAGS_TO_HIDE = 1
    article = article_create(author=bob, title="Only one", description="d", body="b")
    article_favorite(article=article, user=alice)
    content_flag(user=alice, article=article, reason="spam")
    counters_rebuild()  # alice now counts no favorite: her row is gone

    content_approve(item=ModerationItem.objects.get(), moderator=UserFactory(is_staff=True))

    assert counters_snapshot()[f"author:{alice.pk}:favorites"] == 1
    assert counters_snapshot() == _recounted()
