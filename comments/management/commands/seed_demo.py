"""`manage.py seed_demo [--if-empty]`: a small demo data set, written through the services.
Here, in the top domain app, because it writes to every app (comments included)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.services import article_create, article_favorite
from comments.services import comment_create
from events.core.unit_of_work import unit_of_work
from users.models import User
from users.services import user_follow, user_register, user_update

DEMO_PASSWORD = "conduit-demo-2026"

USERS = [
    ("alice", "Writes about Django and databases."),
    ("bob", "Frontend, CSS and accessibility."),
    ("charlie", "Ops, queues and on-call stories."),
    ("dana", None),
    # The author the public RealWorld demo backend is seeded with; frontends' demo scenarios
    # look for him, his articles and their comments.
    ("johndoe", "Writes the articles every Conduit demo opens with."),
]
# (author, title, description, body, tags)
ARTICLES = [
    (
        "alice",
        "Why we keep the audit trail in the database",
        "One transaction for the change and its record",
        "Writing the event in the same transaction as the change means a rollback "
        "leaves nothing behind, and a commit leaves both.",
        ["django", "events", "databases"],
    ),
    (
        "alice",
        "Slugs that survive concurrency",
        "Let the unique index decide",
        "Check-then-save races. Insert, catch the IntegrityError in a savepoint, retry.",
        ["django", "databases"],
    ),
    (
        "bob",
        "Accessible forms in ten minutes",
        "Labels, errors and focus",
        "Every input needs a label; every error needs to be announced.",
        ["frontend", "accessibility"],
    ),
    (
        "charlie",
        "Running a database-backed task queue",
        "SKIP LOCKED is all you need (for a while)",
        "A worker claims tasks with SELECT ... FOR UPDATE SKIP LOCKED and retries with backoff.",
        ["ops", "databases", "events"],
    ),
    (
        "dana",
        "Hello, Conduit",
        "My first post",
        "Just saying hello.",
        [],
    ),
    (
        "johndoe",
        "Welcome to Conduit",
        "What this demo is, and what to try first",
        "Conduit is a Medium-like blog: sign up, follow authors, favorite articles and leave "
        "comments. Every frontend of the RealWorld project can talk to this backend.",
        ["welcome", "realworld", "introduction"],
    ),
    (
        "johndoe",
        "How to write a RealWorld frontend",
        "One API, many frameworks",
        "Build the same app in your framework of choice against the shared API spec, then "
        "compare it with the others.",
        ["realworld", "frontend"],
    ),
    (
        "johndoe",
        "Tags, feeds and favorites",
        "A short tour of the reading features",
        "The global feed lists everyone's articles; your feed lists the authors you follow. "
        "Click a tag to filter by it.",
        ["realworld", "welcome"],
    ),
]
FOLLOWS = [
    ("bob", "alice"),
    ("charlie", "alice"),
    ("alice", "charlie"),
    ("dana", "bob"),
    ("alice", "johndoe"),
    ("johndoe", "alice"),
]
FAVORITES = [
    ("bob", 0),
    ("charlie", 0),
    ("dana", 0),
    ("alice", 3),
    ("bob", 3),
    ("alice", 2),
    ("alice", 5),
    ("bob", 5),
    ("johndoe", 0),
]
COMMENTS = [
    ("bob", 0, "This finally made the outbox pattern click for me."),
    ("charlie", 0, "We do the same in production; the worker never misses an event."),
    ("alice", 3, "How many workers do you run?"),
    ("charlie", 3, "Two per host, and we have never needed more."),
    ("alice", 5, "Thanks for the tour, John."),
    ("johndoe", 5, "Glad it helps. Try following a few authors next."),
    ("dana", 6, "I am writing one now."),
    ("johndoe", 0, "A good read for every backend of the project."),
]


def seed_demo() -> dict[str, int]:
    """Create the demo users, follows, articles, favorites and comments; returns counts."""
    with unit_of_work():
        users = {
            name: user_register(username=name, email=f"{name}@example.com", password=DEMO_PASSWORD)
            for name, _ in USERS
        }
        for name, bio in USERS:
            if bio:
                user_update(user=users[name], bio=bio)
        for follower, followed in FOLLOWS:
            user_follow(follower=users[follower], followed=users[followed])
        articles = [
            article_create(
                author=users[author],
                title=title,
                description=description,
                body=body,
                tag_list=tags,
            )
            for author, title, description, body, tags in ARTICLES
        ]
        for name, index in FAVORITES:
            article_favorite(article=articles[index], user=users[name])
        for name, index, body in COMMENTS:
            comment_create(article=articles[index], author=users[name], body=body)
    return {
        "users": len(users),
        "follows": len(FOLLOWS),
        "articles": len(articles),
        "favorites": len(FAVORITES),
        "comments": len(COMMENTS),
    }


class Command(BaseCommand):
    help = "Create a small demo data set (users, follows, articles, tags, favorites, comments)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any user exists (safe to run on every start).",
        )

    def handle(self, *args: object, if_empty: bool = False, **options: object) -> None:
        if User.objects.exists():
            if if_empty:
                self.stdout.write("Users exist already; nothing seeded.")
                return
            if User.objects.filter(username__in=[name for name, _ in USERS]).exists():
                raise CommandError("The demo users exist already; run with --if-empty to skip.")
        counts = seed_demo()
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Seeded {summary}."))
        names = ", ".join(name for name, _ in USERS)
        self.stdout.write(f"Demo users: {names} (<name>@example.com, one password)")
        self.stdout.write(f"Demo login: alice@example.com / {DEMO_PASSWORD}")
