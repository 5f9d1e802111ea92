"""No read is stale after any event (issue 13): the read cache forgets, for each event, only
the scopes the apps' reads.py tables say it renews (conduit/readcache.py wires them), and these
tests prove the scopes are enough: drop an entry from a table and its scenario finds the
stale reads. For every event class that some table renews, a scenario does the real
thing that publishes it (through the API, or the service where there is no endpoint) in a
small world whose reads were remembered first; every read is then made again with the cache
on and compared with the truth, the same reads with the cache off: once the event's inline
handlers have run (at the commit), and again once the worker has run its background ones
(the search index follows in the worker, and forgets the searches itself).

That the scopes are narrow (a write leaves the others' reads in memory) is the last test."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from articles.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleFavorited,
    ArticleUnfavorited,
    ArticleUpdated,
)
from articles.models import Article
from articles.reads import tag_scope
from articles.services import slug_base
from comments.events import ArticleCommentAdded, CommentDeleted
from conduit.auth import token_claims
from conduit.readcache import LOOKUPS, clear_memory, renewals
from events.core import bus as event_bus
from events.core.event import Event
from events.outbox import delivery_backlog
from events.system.moderation.events import ContentApproved, ContentHidden, ContentRemoved
from events.system.moderation.models import ModerationItem
from events.system.moderation.services import content_approve, content_remove
from events.system.security.events import UserEmailChanged, UserPasswordChanged
from events.worker import build_worker
from tags.models import Tag
from users.events import (
    UserAccessChanged,
    UserAnonymised,
    UserDeactivated,
    UserDeleted,
    UserFollowed,
    UserProfileUpdated,
    UserReactivated,
    UserRegistered,
    UserUnfollowed,
)
from users.models import User
from users.services import user_access_update, user_anonymise, user_delete, user_set_active
from users.tests.factories import UserFactory

# Real commits, as in production: each service's inline handlers run when its transaction
# commits, before its view reads the answer back (a renamed article's PUT reads the new slug
# through the cache). Inside one test transaction, with the commit callbacks captured until
# the end of a block, they would run after the view had read stale rows: a rename would
# answer 404 here and never in production.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
NEW_TITLE = "Volcanoes of the south"
RENAMED_TITLE = "Bread of the far north"
# Names that appear only after some action: read before it too (as misses, or 404s), so
# that a 404 or an empty list remembered before the action cannot hide.
LATER_USERNAMES = ("dave", "alicia")
LATER_SLUGS = (slug_base(NEW_TITLE), slug_base(RENAMED_TITLE))
LATER_TAGS = ("lava",)
WORDS = ("dragons", "bread", "volcanoes")
PAGES = ("", "?limit=2&offset=2", "?limit=1&offset=4")
COMBINED = (
    "?tag=dragons&author=alice",
    "?tag=baking&favorited=alice",
    "?author=bob&favorited=charlie",
    "?q=dragons&tag=dragons&limit=1&offset=1",
)


@pytest.fixture(autouse=True)
def _prolific_authors_are_not_spammers(settings):
    # The world is written within seconds; moderation's repeat scorer must not hide it.
    settings.MODERATION_SPAM_REPEAT_POINTS = 0


@pytest.fixture(autouse=True)
def _forget_reads_after():
    yield
    clear_memory()


@pytest.fixture
def published(monkeypatch) -> list[Event]:
    """Every event published on the real bus from now on, in order."""
    seen: list[Event] = []
    publish = event_bus.publish

    def spy(event: Event) -> None:
        seen.append(event)
        publish(event)

    monkeypatch.setattr(event_bus, "publish", spy)
    return seen


# The world -------------------------------------------------------------------------------------


@dataclass
class World:
    """alice, bob and charlie (readers and writers) and mo (staff, a moderator); their
    articles by key (A1, A2 alice's, B1, B2 bob's, C1 charlie's) and comments by key; and a
    client per viewer whose token was issued before anything happened."""

    users: dict[str, User]
    articles: dict[str, int] = field(default_factory=dict)
    comments: dict[str, int] = field(default_factory=dict)
    viewers: dict[str, APIClient] = field(default_factory=dict)
    client_for: Callable[[User], APIClient] = APIClient

    def client(self, name: str) -> APIClient:
        """A client of the user's own, with a new token (not one of the viewers')."""
        return self.client_for(User.objects.get(pk=self.users[name].pk))

    def slug(self, key: str) -> str:
        return Article.objects.get(pk=self.articles[key]).slug

    def user(self, name: str) -> User:
        return User.objects.get(pk=self.users[name].pk)

    def item(self, key: str) -> ModerationItem:
        """The review item of an article (A1...) or a comment (a-on-B1...)."""
        if key in self.comments:
            return ModerationItem.objects.get(comment_id=self.comments[key])
        return ModerationItem.objects.get(article_id=self.articles[key], comment__isnull=True)

    def flag(self, key: str, *flaggers: str) -> None:
        article_key = key.split("-on-")[-1]
        path = f"/api/articles/{self.slug(article_key)}"
        if key in self.comments:
            path += f"/comments/{self.comments[key]}"
        for flagger in flaggers:
            response = self.client(flagger).post(
                f"{path}/flag", {"flag": {"reason": "abuse", "note": ""}}, format="json"
            )
            assert response.status_code == 200, response.json()


ARTICLES = {
    "A1": ("alice", "Dragons of the north", ["dragons", "training"]),
    "A2": ("alice", "Training wheels", ["training"]),
    "B1": ("bob", "Baking bread at home", ["baking", "dragons"]),
    "B2": ("bob", "Quiet gardens", []),
    "C1": ("charlie", "Dragons and bread", ["baking"]),
}
COMMENTS = {  # key: (author, article)
    "b-on-A1": ("bob", "A1"),
    "c-on-A1": ("charlie", "A1"),
    "a-on-B1": ("alice", "B1"),
    "a-on-C1": ("alice", "C1"),
}
FAVORITES = (("alice", "B1"), ("charlie", "B1"), ("bob", "A1"), ("alice", "C1"))
FOLLOWS = (("alice", "bob"), ("charlie", "alice"), ("bob", "charlie"))


@pytest.fixture
def world(alice, bob, charlie, client_for) -> World:
    """Written through the API (the real bus: counters, search index, events), with the
    read cache off."""
    mo = UserFactory(username="mo", email="mo@example.com", is_staff=True)
    world = World(
        users={"alice": alice, "bob": bob, "charlie": charlie, "mo": mo}, client_for=client_for
    )
    for key, (author, title, tags) in ARTICLES.items():
        response = world.client(author).post(
            "/api/articles",
            {
                "article": {
                    "title": title,
                    "description": f"All about {title.lower()}",
                    "body": f"{title}: a story in a few words.",
                    "tagList": tags,
                }
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        world.articles[key] = Article.objects.get(slug=response.json()["article"]["slug"]).pk
    for key, (author, article) in COMMENTS.items():
        response = world.client(author).post(
            f"/api/articles/{world.slug(article)}/comments",
            {"comment": {"body": f"{author} on {article}: thank you."}},
            format="json",
        )
        assert response.status_code == 201, response.json()
        world.comments[key] = response.json()["comment"]["id"]
    for reader, article in FAVORITES:
        response = world.client(reader).post(f"/api/articles/{world.slug(article)}/favorite")
        assert response.status_code == 200
    for follower, followed in FOLLOWS:
        response = world.client(follower).post(f"/api/profiles/{followed}/follow")
        assert response.status_code == 200
    world.viewers = {"anonymous": APIClient()} | {
        name: world.client(name) for name in ("alice", "bob", "charlie", "mo")
    }
    return world


# The reads -------------------------------------------------------------------------------------


def read_paths() -> set[str]:
    """Every read of the world as it is now (hidden articles too: staff read them), and of
    the names that only some actions bring."""
    slugs = {*Article.objects.values_list("slug", flat=True), *LATER_SLUGS}
    usernames = {*User.objects.values_list("username", flat=True), *LATER_USERNAMES}
    tags = {*Tag.objects.values_list("name", flat=True), *LATER_TAGS}
    paths = {"/api/tags", "/api/user", "/api/articles/feed", "/api/articles/feed?limit=1&offset=1"}
    paths |= {f"/api/articles{query}" for query in (*PAGES, *COMBINED)}
    paths |= {f"/api/articles?q={word}" for word in WORDS}
    paths |= {f"/api/articles?tag={quote(tag)}" for tag in tags}
    for username in usernames:
        paths |= {
            f"/api/profiles/{username}",
            f"/api/articles?author={username}",
            f"/api/articles?favorited={username}",
        }
    for slug in slugs:
        paths |= {f"/api/articles/{slug}", f"/api/articles/{slug}/comments"}
    return paths


def ordered(paths: Iterable[str]) -> list[str]:
    # Lists first, then tags, profiles, pages and comments, the way a reader goes.
    return sorted(paths, key=lambda path: (path.count("/"), "comments" in path, path))


def read_all(viewers: dict[str, APIClient], paths: Iterable[str]) -> dict[tuple[str, str], object]:
    """What each viewer reads at each path: the status code and the JSON body."""
    answers = {}
    for path in ordered(paths):
        for name, client in viewers.items():
            response = client.get(path)
            answers[name, path] = (response.status_code, comparable(response.json()))
    return answers


def comparable(body: dict) -> dict:
    """The body, with the token of GET /api/user (new at every read) as what it says: whose
    it is and the token version it was issued at."""
    user = body.get("user")
    if isinstance(user, dict) and "token" in user:
        claims = token_claims(user["token"])
        return {**body, "user": {**user, "token": (claims.user_id, claims.version)}}
    return body


def hits() -> float:
    return LOOKUPS.labels("hit")._value.get()


def stale_reads(truth: dict, cached: dict) -> list[str]:
    return [
        f"{viewer} GET {path}\n  expected {truth[viewer, path]!r}\n"
        f"  got      {cached[viewer, path]!r}"
        for viewer, path in truth
        if truth[viewer, path] != cached[viewer, path]
    ]


# The scenarios: one or more per event class that changes reads ---------------------------------


@dataclass(frozen=True)
class Scenario:
    event: type[Event]
    name: str
    act: Callable[[World], object]
    prepare: Callable[[World], object] | None = None

    @property
    def id(self) -> str:
        return f"{self.event.type_name}:{self.name}"

    def viewers(self, world: World) -> dict[str, APIClient]:
        """Who reads: mo, staff, only where hidden content or access is at stake (without
        marks of their own, mo reads what the anonymous reader does elsewhere)."""
        if self.event in STAFF_EVENTS:
            return world.viewers
        return {name: client for name, client in world.viewers.items() if name != "mo"}


STAFF_EVENTS = (ContentHidden, ContentApproved, ContentRemoved, UserAccessChanged)


def create_article(
    world: World, author: str = "bob", tags: Iterable[str] = ("lava", "dragons")
) -> None:
    # By bob, whom alice follows: the lists, the feed, the tags and a new tag change.
    response = world.client(author).post(
        "/api/articles",
        {
            "article": {
                "title": NEW_TITLE,
                "description": "Hot dragons",
                "body": "Lava and bread.",
                "tagList": list(tags),
            }
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


def update_article(world: World, key: str, author: str, **changes: object) -> None:
    response = world.client(author).put(
        f"/api/articles/{world.slug(key)}", {"article": changes}, format="json"
    )
    assert response.status_code == 200, response.json()


def delete_article(world: World, key: str, author: str) -> None:
    response = world.client(author).delete(f"/api/articles/{world.slug(key)}")
    assert response.status_code == 204


def favorite(world: World, reader: str, key: str, method: str) -> None:
    client = world.client(reader)
    response = getattr(client, method)(f"/api/articles/{world.slug(key)}/favorite")
    assert response.status_code == 200


def add_comment(world: World) -> None:
    response = world.client("bob").post(
        f"/api/articles/{world.slug('C1')}/comments",
        {"comment": {"body": "bob was here."}},
        format="json",
    )
    assert response.status_code == 201


def delete_comment(world: World) -> None:
    path = f"/api/articles/{world.slug('A1')}/comments/{world.comments['c-on-A1']}"
    assert world.client("charlie").delete(path).status_code == 204


def register(world: World) -> None:
    response = APIClient().post(
        "/api/users",
        {"user": {"username": "dave", "email": "dave@example.com", "password": PASSWORD}},
        format="json",
    )
    assert response.status_code == 201, response.json()


def save_in_a_shell(world: World, name: str, *, password: str = "", **fields: object) -> None:
    """A change no service makes: the model's save, as `changepassword` or a shell does."""
    with transaction.atomic():
        user = User.objects.get(pk=world.users[name].pk)
        if password:
            user.set_password(password)
        for attribute, value in fields.items():
            setattr(user, attribute, value)
        user.save()


def update_user(world: World, name: str, **changes: object) -> None:
    # A token of the user's own, not the viewer's: a new password ends the viewer's.
    response = world.client(name).put("/api/user", {"user": changes}, format="json")
    assert response.status_code == 200, response.json()


def follow(world: World, follower: str, followed: str, method: str) -> None:
    response = getattr(world.client(follower), method)(f"/api/profiles/{followed}/follow")
    assert response.status_code == 200


def hide_b1(world: World) -> None:
    world.flag("B1", "alice", "charlie", "mo")


SCENARIOS = [
    Scenario(ArticleCreated, "bob writes a tagged article", create_article),
    Scenario(
        ArticleCreated,
        "charlie writes an untagged article",
        lambda w: create_article(w, "charlie", ()),
    ),
    Scenario(
        ArticleUpdated,
        "a new title, tags and body",
        lambda w: update_article(
            w, "A1", "alice", title=RENAMED_TITLE, body="Colder.", tagList=["lava"]
        ),
    ),
    Scenario(
        ArticleUpdated,
        "the description alone",
        lambda w: update_article(w, "B1", "bob", description="Sourdough, mostly"),
    ),
    Scenario(
        ArticleUpdated,
        "the tags alone",
        lambda w: update_article(w, "B2", "bob", tagList=["training", "baking"]),
    ),
    Scenario(
        ArticleDeleted,
        "an article with comments and favorites",
        lambda w: delete_article(w, "A1", "alice"),
    ),
    Scenario(
        ArticleDeleted,
        "an article without comments",
        lambda w: delete_article(w, "B2", "bob"),
    ),
    Scenario(
        ArticleFavorited, "charlie favorites A2", lambda w: favorite(w, "charlie", "A2", "post")
    ),
    Scenario(
        ArticleUnfavorited, "alice unfavorites B1", lambda w: favorite(w, "alice", "B1", "delete")
    ),
    Scenario(ArticleCommentAdded, "bob comments on C1", add_comment),
    Scenario(CommentDeleted, "charlie deletes a comment", delete_comment),
    Scenario(ContentHidden, "three readers flag an article", hide_b1),
    Scenario(
        ContentHidden,
        "three readers flag a comment",
        lambda w: w.flag("c-on-A1", "alice", "bob", "mo"),
    ),
    Scenario(
        ContentApproved,
        "a hidden article",
        lambda w: content_approve(item=w.item("B1"), moderator=w.user("mo")),
        prepare=hide_b1,
    ),
    Scenario(
        ContentApproved,
        "a hidden comment",
        lambda w: content_approve(item=w.item("a-on-C1"), moderator=w.user("mo")),
        prepare=lambda w: w.flag("a-on-C1", "bob", "charlie", "mo"),
    ),
    Scenario(
        ContentRemoved,
        "a flagged article",
        lambda w: content_remove(item=w.item("A2"), moderator=w.user("mo")),
        prepare=lambda w: w.flag("A2", "bob"),
    ),
    Scenario(
        ContentRemoved,
        "a flagged comment",
        lambda w: content_remove(item=w.item("b-on-A1"), moderator=w.user("mo")),
        prepare=lambda w: w.flag("b-on-A1", "charlie"),
    ),
    Scenario(UserRegistered, "dave signs up", register),
    Scenario(
        UserProfileUpdated,
        "a new username, bio and image",
        lambda w: update_user(
            w, "alice", username="alicia", bio="Dragon tamer", image="https://img.test/a.png"
        ),
    ),
    Scenario(
        UserProfileUpdated,
        "a new password",
        lambda w: update_user(w, "alice", password="another horse battery staple"),
    ),
    Scenario(
        UserProfileUpdated,
        "a new email",
        lambda w: update_user(w, "bob", email="bobby@example.com"),
    ),
    Scenario(
        UserPasswordChanged,
        "alice's password set in a shell",
        lambda w: save_in_a_shell(w, "alice", password="set at the console"),
    ),
    Scenario(
        UserEmailChanged,
        "bob's email set in a shell",
        lambda w: save_in_a_shell(w, "bob", email="bobby@example.com"),
    ),
    Scenario(UserFollowed, "charlie follows bob", lambda w: follow(w, "charlie", "bob", "post")),
    Scenario(UserUnfollowed, "alice unfollows bob", lambda w: follow(w, "alice", "bob", "delete")),
    Scenario(UserDeactivated, "bob", lambda w: user_set_active(user=w.user("bob"), active=False)),
    Scenario(
        UserReactivated,
        "bob",
        lambda w: user_set_active(user=w.user("bob"), active=True),
        prepare=lambda w: user_set_active(user=w.user("bob"), active=False),
    ),
    Scenario(
        UserAccessChanged,
        "charlie made staff sees a hidden article",
        lambda w: user_access_update(user=w.user("charlie"), is_staff=True),
        prepare=hide_b1,
    ),
    Scenario(
        UserAccessChanged,
        "mo no longer staff",
        lambda w: user_access_update(user=w.user("mo"), is_staff=False),
        prepare=hide_b1,
    ),
    Scenario(UserAnonymised, "bob", lambda w: user_anonymise(user=w.user("bob"))),
    Scenario(UserDeleted, "bob", lambda w: user_delete(user=w.user("bob"))),
]


def test_the_worlds_tags_have_scopes_of_their_own():
    # A new article forgets the lists of its own tags alone: two of the world's tags sharing
    # a scope would hide a tag list left stale.
    tags = {tag for _, _, names in ARTICLES.values() for tag in names} | set(LATER_TAGS)

    assert len({tag_scope(tag) for tag in tags}) == len(tags)


def test_every_event_class_that_renews_reads_has_a_scenario():
    # Which classes leave every read alone is conduit/tests/test_read_invalidation.py.
    assert {scenario.event for scenario in SCENARIOS} == set(renewals())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.id)
def test_no_read_is_stale_after(scenario, world, settings, published):
    # As in production: the inline handlers run at the commit, the background ones later, in
    # the worker; the reads must be fresh in between, and after.
    settings.EVENTS_DELIVER_ON_COMMIT = False
    settings.READ_CACHE_SECONDS = 60
    viewers = scenario.viewers(world)
    paths = read_paths()
    read_all(viewers, paths)  # remembered
    if scenario.prepare is not None:  # the cache lives through it
        scenario.prepare(world)
        build_worker().run()
        paths |= read_paths()
        read_all(viewers, paths)
    published.clear()

    scenario.act(world)

    assert scenario.event in {type(event) for event in published}
    paths |= read_paths()
    assert_fresh(viewers, paths, settings, f"after {scenario.id}")
    if delivery_backlog()["pending"]:
        build_worker().run()
        paths |= read_paths()
        assert_fresh(viewers, paths, settings, f"after {scenario.id} and the worker")


def assert_fresh(viewers: dict[str, APIClient], paths: set[str], settings, when: str) -> None:
    """Every read through the cache answers what the database does; some from memory."""
    hits_before = hits()
    cached = read_all(viewers, paths)
    assert hits() > hits_before, f"no read was served from memory {when}"
    settings.READ_CACHE_SECONDS = 0
    truth = read_all(viewers, paths)
    settings.READ_CACHE_SECONDS = 60
    stale = stale_reads(truth, cached)
    assert not stale, f"{len(stale)} stale reads {when}:\n" + "\n".join(stale[:10])


def test_a_new_article_leaves_other_articles_comments_profiles_and_tags_in_memory(
    world, settings, django_assert_num_queries
):
    settings.READ_CACHE_SECONDS = 60
    slug = world.slug("A1")
    paths = (
        f"/api/articles/{slug}",
        f"/api/articles/{slug}/comments",
        "/api/profiles/bob",
        "/api/articles?tag=training",  # not one of the new article's tags
    )
    readers = (world.viewers["anonymous"], world.viewers["alice"])
    first = [reader.get(path).json() for reader in readers for path in paths]
    assert world.viewers["alice"].get("/api/articles").json()["articlesCount"] == len(ARTICLES)

    create_article(world)

    with django_assert_num_queries(0):
        again = [reader.get(path).json() for reader in readers for path in paths]
    assert again == first
    listed = world.viewers["alice"].get("/api/articles").json()
    assert listed["articlesCount"] == len(ARTICLES) + 1
    assert listed["articles"][0]["title"] == NEW_TITLE
