"""POST /api/articles/{slug}/flag and /api/articles/{slug}/comments/{id}/flag: readers flag
content for review (an extension to the RealWorld API)."""

import pytest

from articles.models import Article
from articles.tests.factories import ArticleFactory
from comments.tests.factories import CommentFactory
from conduit.api import format_timestamp
from events.system.moderation.events import ContentFlagged, ContentHidden
from events.system.moderation.models import Flag, ModerationItem, State
from events.system.moderation.services import content_flag
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def flag(client, path: str, reason: str = "spam", note: str = "Ads"):
    return client.post(path, {"flag": {"reason": reason, "note": note}}, format="json")


def test_bob_flags_alices_article(client_for, alice, bob, mock_event_bus):
    article = ArticleFactory(author=alice, slug="dragons")

    response = flag(client_for(bob), "/api/articles/dragons/flag", "abuse", " Rude. ")

    assert response.status_code == 200
    flag_row = Flag.objects.get()
    assert response.json() == {
        "flag": {
            "reason": "abuse",
            "note": "Rude.",
            "createdAt": format_timestamp(flag_row.created_at),
        }
    }
    item = ModerationItem.objects.get()
    assert (item.article_id, item.comment_id, item.author_id, item.state) == (
        article.pk,
        None,
        alice.pk,
        State.FLAGGED,
    )
    mock_event_bus.assert_published_exactly(
        [
            ContentFlagged(
                item_id=item.pk,
                content_type="article",
                article_id=article.pk,
                comment_id=None,
                author_id=alice.pk,
                source="user",
                reason="abuse",
                flagger_id=bob.pk,
                open_flags=1,
            )
        ]
    )


def test_a_repeated_flag_answers_the_first_and_changes_nothing(client_for, alice, bob):
    ArticleFactory(author=alice, slug="dragons")
    first = flag(client_for(bob), "/api/articles/dragons/flag", "spam", "Ads")

    again = flag(client_for(bob), "/api/articles/dragons/flag", "other", "Changed my mind")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert Flag.objects.count() == 1


def test_the_repeat_publishes_nothing(client_for, alice, bob, mock_event_bus):
    ArticleFactory(author=alice, slug="dragons")
    flag(client_for(bob), "/api/articles/dragons/flag")
    mock_event_bus.reset()

    flag(client_for(bob), "/api/articles/dragons/flag")

    mock_event_bus.assert_nothing_published()


def test_bob_flags_a_comment_on_alices_article(client_for, alice, bob, charlie, mock_event_bus):
    article = ArticleFactory(author=alice, slug="dragons")
    comment = CommentFactory(article=article, author=charlie)

    response = flag(client_for(bob), f"/api/articles/dragons/comments/{comment.pk}/flag")

    assert response.status_code == 200
    item = ModerationItem.objects.get()
    assert (item.article_id, item.comment_id, item.author_id) == (
        article.pk,
        comment.pk,
        charlie.pk,
    )
    mock_event_bus.assert_published_exactly(
        [
            ContentFlagged(
                item_id=item.pk,
                content_type="comment",
                article_id=article.pk,
                comment_id=comment.pk,
                author_id=charlie.pk,
                source="user",
                reason="spam",
                flagger_id=bob.pk,
                open_flags=1,
            )
        ]
    )


def test_flagging_needs_a_token(api_client, alice):
    ArticleFactory(author=alice, slug="dragons")

    response = flag(api_client, "/api/articles/dragons/flag")

    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}


def test_alice_cannot_flag_her_own_article_or_comment(client_for, alice):
    article = ArticleFactory(author=alice, slug="dragons")
    comment = CommentFactory(article=article, author=alice)

    for path in ("/api/articles/dragons/flag", f"/api/articles/dragons/comments/{comment.pk}/flag"):
        response = flag(client_for(alice), path)

        assert response.status_code == 403
        assert response.json() == {"errors": {"flag": ["can't flag your own content"]}}
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"flag": {"reason": "boring"}}, {"reason": ["must be one of spam, abuse, other"]}),
        ({"flag": {"note": "x"}}, {"reason": ["can't be blank"]}),
        ({"flag": {"reason": 3}}, {"reason": ["must be a string"]}),
        (
            {"flag": {"reason": "spam", "note": "x" * 1001}},
            {"note": ["is too long (maximum is 1000 characters)"]},
        ),
        ({"reason": "spam"}, {"body": ['must be a JSON object wrapped in "flag"']}),
    ],
)
def test_a_flag_must_say_why_in_the_envelope(client_for, alice, bob, body, errors):
    ArticleFactory(author=alice, slug="dragons")

    response = client_for(bob).post("/api/articles/dragons/flag", body, format="json")

    assert response.status_code == 422
    assert response.json() == {"errors": errors}


def test_unknown_articles_and_comments_are_404(client_for, alice, bob):
    article = ArticleFactory(author=alice, slug="dragons")
    elsewhere = CommentFactory(article=ArticleFactory(author=alice))

    assert flag(client_for(bob), "/api/articles/nope/flag").json() == {
        "errors": {"article": ["not found"]}
    }
    for comment_id in (999999, elsewhere.pk):
        response = flag(client_for(bob), f"/api/articles/{article.slug}/comments/{comment_id}/flag")
        assert response.status_code == 404
        assert response.json() == {"errors": {"comment": ["not found"]}}


def test_the_third_distinct_reader_hides_the_article_pending_review(
    client_for, alice, bob, charlie, mock_event_bus
):
    article = ArticleFactory(author=alice, slug="dragons")
    dana = UserFactory(username="dana")
    flag(client_for(bob), "/api/articles/dragons/flag")
    flag(client_for(bob), "/api/articles/dragons/flag")  # a repeat counts once
    flag(client_for(charlie), "/api/articles/dragons/flag", "abuse")
    assert ModerationItem.objects.get().state == State.FLAGGED
    mock_event_bus.reset()

    assert flag(client_for(dana), "/api/articles/dragons/flag", "other").status_code == 200

    item = ModerationItem.objects.get()
    content = {
        "item_id": item.pk,
        "content_type": "article",
        "article_id": article.pk,
        "comment_id": None,
        "author_id": alice.pk,
    }
    mock_event_bus.assert_published_exactly(
        [
            ContentFlagged(
                **content,
                source="user",
                reason="other",
                flagger_id=dana.pk,
                open_flags=3,
            ),
            ContentHidden(**content, trigger="flags"),
        ]
    )
    assert item.state == State.HIDDEN
    assert Article.objects.get().hidden is True
    # Hidden now: to readers (and to a fourth flagger) the article is gone.
    assert flag(client_for(UserFactory()), "/api/articles/dragons/flag").status_code == 404


def test_the_number_of_readers_that_hide_is_a_setting(settings, alice, bob):
    settings.MODERATION_FLAGS_TO_HIDE = 1
    article = ArticleFactory(author=alice)

    content_flag(user=bob, article=article, reason="spam")

    assert ModerationItem.objects.get().state == State.HIDDEN
