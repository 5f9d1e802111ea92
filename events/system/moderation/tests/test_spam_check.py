"""The spam check runs in a background handler after an article's create and update and a
comment's create, through the real bus: the write answers as usual, and then the content is
scored, flagged and maybe hidden, each step published."""

import pytest

from articles.models import Article
from comments.models import Comment
from events.system.moderation.events import ContentFlagged, ContentHidden, SpamDetected
from events.system.moderation.models import Flag, ModerationItem, State
from events.system.moderation.services import content_check_spam
from events.system.moderation.tests.conftest import recorded
from events.testing import assert_same_events

pytestmark = pytest.mark.django_db

# casino (40) + viagra (40) + 3 links, one past the two free ones (15): 95, over both limits.
SPAM = {
    "title": "Big wins",
    "description": "Cheap viagra and the best casino",
    "body": "Go to https://a.example https://b.example https://c.example now",
}
SPAM_REASONS = ("links: 3", "blocklisted term: viagra", "blocklisted term: casino")
# casino (40) + 4 links, two past the free ones (30): 70, flagged but not hidden.
DUBIOUS = "Our casino: https://a.example https://b.example https://c.example https://d.example"


@pytest.fixture
def post(client_for, django_capture_on_commit_callbacks):
    def send(user, path: str, body: dict, method: str = "post"):
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client_for(user), method)(path, body, format="json")

    return send


def test_a_spam_article_is_created_then_flagged_and_hidden_pending_review(post, alice, bob):
    response = post(alice, "/api/articles", {"article": SPAM})

    assert response.status_code == 201  # the author is not told
    article = Article.objects.get(slug=response.json()["article"]["slug"])
    item = ModerationItem.objects.get(article=article)
    content = {
        "item_id": item.pk,
        "content_type": "article",
        "article_id": article.pk,
        "comment_id": None,
        "author_id": alice.pk,
    }
    assert_same_events(
        recorded("moderation"),
        [
            SpamDetected(**content, score=95, reasons=SPAM_REASONS),
            ContentFlagged(
                **content,
                source="automatic",
                reason="spam",
                flagger_id=None,
                open_flags=1,
            ),
            ContentHidden(**content, trigger="spam"),
        ],
    )
    assert article.hidden is True
    assert (item.state, item.spam_score, item.spam_reasons) == (
        State.HIDDEN,
        95,
        list(SPAM_REASONS),
    )
    assert list(Flag.objects.values_list("source", "flagger", "reason", "note")) == [
        ("automatic", None, "spam", "; ".join(SPAM_REASONS))
    ]
    assert post(bob, f"/api/articles/{article.slug}", {}, method="get").status_code == 404


def test_an_article_over_the_flag_score_only_is_flagged_and_stays_visible(post, alice):
    article = {"title": "Hi", "description": "Fun", "body": DUBIOUS}

    slug = post(alice, "/api/articles", {"article": article}).json()["article"]["slug"]

    events = recorded("moderation")
    assert [type(event) for event in events] == [SpamDetected, ContentFlagged]
    assert events[0].score == 70
    assert ModerationItem.objects.get().state == State.FLAGGED
    assert post(alice, f"/api/articles/{slug}", {}, method="get").status_code == 200


def test_an_ordinary_article_is_scored_and_left_alone(post, alice):
    article = {"title": "Dragons", "description": "How to", "body": "Believe, and be patient."}

    assert post(alice, "/api/articles", {"article": article}).status_code == 201

    assert recorded("moderation") == []
    assert not ModerationItem.objects.exists()


def test_an_edit_that_turns_an_article_into_spam_hides_it(post, alice):
    article = {"title": "Dragons", "description": "How to", "body": "Believe."}
    slug = post(alice, "/api/articles", {"article": article}).json()["article"]["slug"]

    response = post(alice, f"/api/articles/{slug}", {"article": SPAM}, method="put")

    assert response.status_code == 200
    assert [type(event) for event in recorded("moderation")] == [
        SpamDetected,
        ContentFlagged,
        ContentHidden,
    ]
    assert Article.objects.get().hidden is True


def test_an_edit_of_the_tags_alone_is_not_scored_again(post, alice):
    article = {"title": "Hi", "description": "Fun", "body": DUBIOUS}
    slug = post(alice, "/api/articles", {"article": article}).json()["article"]["slug"]

    post(alice, f"/api/articles/{slug}", {"article": {"tagList": ["x"]}}, method="put")

    assert len(recorded("moderation")) == 2  # the create's SpamDetected and ContentFlagged


def test_the_same_comment_posted_again_and_again_is_hidden_as_spam(post, alice, bob):
    slug = post(
        alice, "/api/articles", {"article": {"title": "T", "description": "D", "body": "B"}}
    ).json()["article"]["slug"]
    path = f"/api/articles/{slug}/comments"
    # The third copy has 2 earlier repeats (60, flagged), the fourth 3 (90, hidden).
    for _ in range(4):
        assert post(bob, path, {"comment": {"body": "Follow me!"}}).status_code == 201

    comments = list(Comment.objects.order_by("pk"))
    items = {item.comment_id: item for item in ModerationItem.objects.all()}
    assert [comment.hidden for comment in comments] == [False, False, False, True]
    assert [items[c.pk].state if c.pk in items else None for c in comments] == [
        None,
        None,
        State.FLAGGED,
        State.HIDDEN,
    ]
    hidden = comments[3]
    content = {
        "item_id": items[hidden.pk].pk,
        "content_type": "comment",
        "article_id": hidden.article_id,
        "comment_id": hidden.pk,
        "author_id": bob.pk,
    }
    assert_same_events(
        recorded("moderation")[2:],
        [
            SpamDetected(**content, score=90, reasons=("repeated: 3 earlier in 10 minutes",)),
            ContentFlagged(
                **content, source="automatic", reason="spam", flagger_id=None, open_flags=1
            ),
            ContentHidden(**content, trigger="spam"),
        ],
    )
    shown = [c["id"] for c in post(alice, path, {}, method="get").json()["comments"]]
    assert shown == [comments[2].pk, comments[1].pk, comments[0].pk]


def test_the_check_of_content_deleted_meanwhile_does_nothing(alice):
    assert content_check_spam(article_id=123456) is None
    assert content_check_spam(comment_id=123456) is None
    assert not ModerationItem.objects.exists()
