"""`cleanup_user_data`: the right to be forgotten, asked for by the command, done by the
worker through the services, ended by a BulkOperationCompleted; the audit trail keeps the
ids and loses the personal data; a second run changes nothing."""

import json
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from articles.counters import counters_rebuild, counters_snapshot
from articles.models import Article, Favorite
from articles.services import article_create, article_favorite
from comments.models import Comment
from comments.services import comment_create
from events.models import REDACTED, EventRecord
from events.ops.events import BulkOperationCompleted, PersonalDataRedacted
from events.system.maintenance.events import UserDataCleanupRequested
from events.testing import assert_same_events, recorded
from events.worker import build_worker
from users.events import UserAnonymised, UserDeleted
from users.models import Follow, User
from users.services import user_follow, user_login, user_register

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough secret"


@pytest.fixture
def world():
    """alice registered, logged in, wrote an article (tag travel) that bob favorited and
    commented on, favorited and commented on bob's article, follows bob; charlie follows her."""
    alice = user_register(username="alice", email="alice@example.com", password=PASSWORD)
    bob = user_register(username="bob", email="bob@example.com", password=PASSWORD)
    charlie = user_register(username="charlie", email="charlie@example.com", password=PASSWORD)
    user_login(email="alice@example.com", password=PASSWORD)
    hers = article_create(
        author=alice, title="Alice in Berlin", description="d", body="b", tag_list=["travel"]
    )
    his = article_create(author=bob, title="Bob at home", description="d", body="b", tag_list=[])
    article_favorite(article=his, user=alice)
    article_favorite(article=hers, user=bob)
    comment_create(article=hers, author=bob, body="nice")
    alices_comment = comment_create(article=his, author=alice, body="thanks")
    user_follow(follower=alice, followed=bob)
    user_follow(follower=charlie, followed=alice)
    return SimpleNamespace(
        alice=alice, bob=bob, charlie=charlie, hers=hers, his=his, alices_comment=alices_comment
    )


@pytest.fixture
def cleanup(django_capture_on_commit_callbacks, operation_clock):
    """Run the command as an operator would, the worker's deliveries included (under pytest
    they run right after commit); returns what it printed."""

    def run(*args: str) -> str:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("cleanup_user_data", *args, stdout=out)
        return out.getvalue()

    return run


def holding(name: str) -> list[EventRecord]:
    """The records whose payload holds `name` somewhere: an oracle of whose personal data a
    record holds, independent of any event class's declaration."""
    return [
        record
        for record in EventRecord.objects.order_by("occurred_at", "event_id")
        if name in json.dumps(record.payload).lower()
    ]


def snapshot() -> dict[str, object]:
    """Every row a cleanup could touch, and the audit trail."""
    return {
        "users": list(User.objects.order_by("pk").values()),
        "articles": list(Article.objects.order_by("pk").values()),
        "comments": list(Comment.objects.order_by("pk").values()),
        "favorites": list(Favorite.objects.order_by("pk").values()),
        "follows": list(Follow.objects.order_by("pk").values()),
        "trail": list(EventRecord.objects.order_by("occurred_at", "event_id").values()),
    }


def test_forgetting_alice_removes_her_data_and_her_personal_data_in_the_trail(world, cleanup):
    alice_id = world.alice.pk
    personal = len(holding("alice"))

    output = cleanup("alice")

    assert output == (
        "Will delete 1 article (with the comments on them), delete 1 comment, take back "
        "1 favorite, undo 2 follows, delete the account, redact the personal data of "
        f"{personal} stored events, for account {alice_id} (alice).\n"
        "Requested: the worker does it and ends with a BulkOperationCompleted "
        "(user_data.cleanup).\n"
    )
    assert not User.objects.filter(pk=alice_id).exists()
    assert list(Article.objects.values_list("pk", flat=True)) == [world.his.pk]
    assert not Comment.objects.exists()
    assert not Favorite.objects.exists()
    assert not Follow.objects.exists()
    kept = counters_snapshot()
    counters_rebuild()
    assert kept == counters_snapshot()

    registered = EventRecord.objects.get(type="users.UserRegistered", aggregate_id=str(alice_id))
    assert registered.payload == {"user_id": alice_id, "username": REDACTED, "email": REDACTED}
    created = EventRecord.objects.get(
        type="articles.ArticleCreated", aggregate_id=str(world.hers.pk)
    )
    assert created.payload == {
        "article_id": world.hers.pk,
        "author_id": alice_id,
        "slug": REDACTED,
        "title": REDACTED,
        "tag_names": ["travel"],
    }
    assert holding("alice") == []
    assert holding("alice@example.com") == []
    assert holding("bob@example.com") != [], "nobody else is forgotten"


def test_the_cleanup_is_told_in_the_trail_request_redaction_and_bulk_operation(world, cleanup):
    alice_id = world.alice.pk
    # Hers, and the ArticleDeleted her cleanup records.
    personal = [record.type for record in holding("alice")] + ["articles.ArticleDeleted"]

    cleanup("alice")

    told = recorded(
        UserDataCleanupRequested, UserDeleted, PersonalDataRedacted, BulkOperationCompleted
    )
    assert_same_events(
        told,
        [
            UserDataCleanupRequested(user_id=alice_id, keep_content=False),
            UserDeleted(user_id=alice_id),
            PersonalDataRedacted(
                user_id=alice_id, records=len(personal), event_types=tuple(sorted(set(personal)))
            ),
            BulkOperationCompleted(
                kind="user_data.cleanup",
                count=1,
                succeeded=1,
                skipped=0,
                details=f"account {alice_id} deleted; {len(personal)} stored payloads redacted",
                events_published={
                    "articles.ArticleDeleted": 1,
                    "articles.ArticleUnfavorited": 1,
                    "comments.CommentDeleted": 2,
                    "events.PersonalDataRedacted": 1,
                    "tags.TagRemoved": 1,
                    "users.UserDeleted": 1,
                    "users.UserUnfollowed": 2,
                },
                duration_ms=0,
            ),
        ],
    )
    request = EventRecord.objects.get(type=UserDataCleanupRequested.type_name)
    cleanup_records = EventRecord.objects.filter(causation_id=request.event_id)
    assert cleanup_records.filter(type=BulkOperationCompleted.type_name).count() == 1


def test_a_dry_run_says_what_would_go_and_changes_nothing(world, cleanup):
    before = snapshot()

    output = cleanup("alice", "--dry-run")

    assert output.startswith("Would delete 1 article (with the comments on them), ")
    assert output.endswith(f"for account {world.alice.pk} (alice).\n")
    assert snapshot() == before


def test_a_second_run_changes_nothing(world, cleanup):
    cleanup("alice")
    before = snapshot()

    output = cleanup("--user-id", str(world.alice.pk))

    assert output == (
        f"Nothing to clean up for account {world.alice.pk}: it is removed, and the audit "
        "trail holds none of its personal data.\n"
    )
    assert snapshot() == before


def test_a_request_delivered_twice_is_done_once(world, settings, operation_clock):
    settings.EVENTS_DELIVER_ON_COMMIT = False
    call_command("cleanup_user_data", "alice", stdout=StringIO())
    call_command("cleanup_user_data", "alice", stdout=StringIO())  # before the worker ran

    build_worker().run()

    assert EventRecord.objects.filter(type=UserDataCleanupRequested.type_name).count() == 2
    assert EventRecord.objects.filter(type=UserDeleted.type_name).count() == 1
    assert EventRecord.objects.filter(type=PersonalDataRedacted.type_name).count() == 1
    completed = EventRecord.objects.filter(type=BulkOperationCompleted.type_name)
    assert [record.payload["kind"] for record in completed] == ["user_data.cleanup"]


def test_keeping_content_anonymises_alice_and_keeps_what_she_wrote(
    world, cleanup, client_for, api_client
):
    alice_id = world.alice.pk
    alices_client = client_for(world.alice)
    account_records = [r for r in holding("alice") if not r.type.startswith("articles.")]

    output = cleanup("alice", "--keep-content")

    assert output.startswith(
        "Will take back 1 favorite, undo 2 follows, anonymise the account, redact the "
        f"personal data of {len(account_records)} stored events, "
    )
    account = User.objects.get(pk=alice_id)
    assert (account.username, account.email) == (
        f"deleted-{alice_id}",
        f"deleted-{alice_id}@anonymised.invalid",
    )
    assert (account.bio, account.image, account.last_login) == (None, None, None)
    assert not account.is_active and not account.has_usable_password()
    assert alices_client.get("/api/user").status_code == 401
    assert Article.objects.get(pk=world.hers.pk).author_id == alice_id
    assert Comment.objects.get(pk=world.alices_comment.pk).author_id == alice_id
    assert not Favorite.objects.filter(user_id=alice_id).exists()
    assert not Follow.objects.exists()
    article = api_client.get(f"/api/articles/{world.hers.slug}").json()["article"]
    assert article["author"]["username"] == f"deleted-{alice_id}"
    registered = EventRecord.objects.get(type="users.UserRegistered", aggregate_id=str(alice_id))
    assert registered.payload == {"user_id": alice_id, "username": REDACTED, "email": REDACTED}
    created = EventRecord.objects.get(
        type="articles.ArticleCreated", aggregate_id=str(world.hers.pk)
    )
    assert created.payload["title"] == "Alice in Berlin", "kept content keeps its history"
    assert_same_events(recorded(UserAnonymised), [UserAnonymised(user_id=alice_id)])


def test_keeping_content_twice_changes_nothing_the_second_time(world, cleanup):
    cleanup("alice", "--keep-content")
    before = snapshot()

    output = cleanup(f"deleted-{world.alice.pk}", "--keep-content")

    assert output == (
        f"Nothing to clean up for account {world.alice.pk} (deleted-{world.alice.pk}): it is "
        "anonymised, and follows and favorites nothing.\n"
    )
    assert snapshot() == before


def test_forgetting_an_anonymised_account_removes_its_content_too(world, cleanup):
    cleanup("alice", "--keep-content")

    cleanup("--user-id", str(world.alice.pk))

    assert not User.objects.filter(pk=world.alice.pk).exists()
    assert not Article.objects.filter(pk=world.hers.pk).exists()
    created = EventRecord.objects.get(
        type="articles.ArticleCreated", aggregate_id=str(world.hers.pk)
    )
    assert created.payload["title"] == REDACTED


def test_json_output_is_the_plan(world, cleanup):
    bobs = len(holding("bob"))

    output = cleanup("bob", "--dry-run", "--json")

    assert json.loads(output) == {
        "user_id": world.bob.pk,
        "username": "bob",
        "keep_content": False,
        "account": "delete",
        "articles": 1,
        "comments": 1,
        "favorites": 1,
        "follows": 1,
        "payloads": bobs,
        "dry_run": True,
        "requested": False,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "No account is named 'nobody'"),
        (["--user-id", "999999"], "No account has, or ever had, the id 999999"),
        ([], "Name the account by its username or by --user-id, not both."),
        (["alice", "--user-id", "1"], "Name the account by its username or by --user-id"),
    ],
)
def test_an_account_that_is_not_there_is_refused(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("cleanup_user_data", *args, stdout=StringIO())
    assert not EventRecord.objects.filter(type=UserDataCleanupRequested.type_name).exists()
