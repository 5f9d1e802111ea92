"""`export_user_data`: the right of access, everything kept about one account as JSON."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from articles.services import article_create, article_favorite
from comments.services import comment_create
from events.models import EventRecord
from users.services import user_delete, user_follow, user_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_and_bob():
    alice = user_register(username="alice", email="alice@example.com", password="long enough 1")
    bob = user_register(username="bob", email="bob@example.com", password="long enough 2")
    hers = article_create(author=alice, title="Hers", description="d", body="b", tag_list=["x"])
    his = article_create(author=bob, title="His", description="d", body="b", tag_list=[])
    article_favorite(article=his, user=alice)
    comment = comment_create(article=his, author=alice, body="thanks")
    user_follow(follower=alice, followed=bob)
    user_follow(follower=bob, followed=alice)
    return alice, bob, hers, comment


def run(*args: str) -> str:
    out = StringIO()
    call_command("export_user_data", *args, stdout=out)
    return out.getvalue()


def test_the_export_holds_everything_about_alice_and_nothing_of_bob(alice_and_bob):
    alice, _, hers, comment = alice_and_bob

    export = json.loads(run("alice", "--json"))

    assert export["account"] == {
        "id": alice.pk,
        "username": "alice",
        "email": "alice@example.com",
        "bio": None,
        "image": None,
        "active": True,
        "joined": alice.date_joined.isoformat(),
        "last_login": None,
    }
    assert export["articles"] == [
        {
            "slug": hers.slug,
            "title": "Hers",
            "description": "d",
            "body": "b",
            "tagList": ["x"],
            "createdAt": hers.created_at.isoformat(),
        }
    ]
    assert export["comments"] == [
        {
            "id": comment.pk,
            "article": "his",
            "body": "thanks",
            "createdAt": comment.created_at.isoformat(),
        }
    ]
    assert (export["favorites"], export["following"], export["followers"]) == (
        ["his"],
        ["bob"],
        ["bob"],
    )
    about_alice = EventRecord.objects.filter(aggregate_type="user", aggregate_id=str(alice.pk))
    assert {entry["event_id"] for entry in export["audit_trail"]} == {
        str(pk) for pk in about_alice.values_list("event_id", flat=True)
    }
    assert "bob@example.com" not in json.dumps(export)


def test_the_summary_and_the_file(alice_and_bob, tmp_path):
    target = tmp_path / "alice.json"

    output = run("alice", "--output", str(target))

    assert output.splitlines()[1] == f"Written to {target}."
    assert output.startswith(
        f"alice (account {alice_and_bob[0].pk}): articles 1, comments 1, favorites 1, "
        "following 1, followers 1, audit records "
    )
    assert json.loads(target.read_text())["account"]["username"] == "alice"


def test_a_removed_account_has_nothing_to_export(alice_and_bob):
    alice = alice_and_bob[0]
    user_delete(user=alice)

    with pytest.raises(CommandError, match=f"No account has the id {alice.pk}."):
        run("--user-id", str(alice.pk))
