"""Every admin changelist costs the same number of queries for 100 rows as for 10: no row
reads anything of its own (related rows come with list_select_related or annotations, links
and labels are computed from the row). One test per registered model; a model registered
without a way to make its rows here fails the last test."""

from collections.abc import Callable
from datetime import timedelta
from itertools import count
from uuid import uuid4

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.models import Article, ArticleMilestone, Favorite
from comments.models import Comment
from events.models import EventRecord
from events.outbox import _delivery_row
from events.system.moderation.models import Flag, ModerationItem, Reason, Source
from events.system.webhooks.models import Delivery as WebhookDelivery
from events.system.webhooks.models import Endpoint
from tags.models import Tag
from users.models import Follow, User

pytestmark = pytest.mark.django_db

_serial = count()


def _users(n: int) -> list[User]:
    names = [f"u{next(_serial)}" for _ in range(n)]
    return User.objects.bulk_create(
        User(username=name, email=f"{name}@example.com", password="!") for name in names
    )


def _articles(n: int) -> list[Article]:
    now = timezone.now()
    return Article.objects.bulk_create(
        Article(
            slug=f"a-{next(_serial)}",
            title="T",
            description="D",
            body="B",
            author=author,
            created_at=now,
            updated_at=now,
        )
        for author in _users(n)
    )


def _follows(n: int) -> None:
    Follow.objects.bulk_create(
        Follow(follower=a, followed=b) for a, b in zip(_users(n), _users(n), strict=True)
    )


def _favorites(n: int) -> None:
    Favorite.objects.bulk_create(
        Favorite(user=user, article=article)
        for user, article in zip(_users(n), _articles(n), strict=True)
    )


def _comments(n: int) -> None:
    Comment.objects.bulk_create(
        Comment(article=article, author=article.author, body="hi") for article in _articles(n)
    )


def _records(n: int) -> None:
    now = timezone.now()
    EventRecord.objects.bulk_create(
        EventRecord(
            event_id=uuid4(),
            type="articles.ArticleCreated",
            version=1,
            payload={"article_id": 1},
            occurred_at=now,
            actor_id=1,
            aggregate_type="article",
            aggregate_id="1",
            request_id="r",
            causation_id=uuid4(),
        )
        for _ in range(n)
    )


def _deliveries(n: int) -> None:
    DBTaskResult.objects.bulk_create(
        _delivery_row(uuid4(), "events.system.moderation.receivers.check_article_for_spam")
        for _ in range(n)
    )


def _tasks(n: int) -> None:
    DBTaskResult.objects.bulk_create(
        _delivery_row(uuid4(), "h", status=TaskResultStatus.SUCCESSFUL) for _ in range(n)
    )


def _items(n: int) -> None:
    articles = _articles(n)
    comments = Comment.objects.bulk_create(
        Comment(article=article, author=article.author, body="x") for article in articles
    )
    items = ModerationItem.objects.bulk_create(
        ModerationItem(
            article=article,
            comment=comment if index % 2 else None,
            author=article.author,
            spam_reasons=["links: 3"],
        )
        for index, (article, comment) in enumerate(zip(articles, comments, strict=True))
    )
    Flag.objects.bulk_create(
        Flag(item=item, source=Source.AUTOMATIC, reason=Reason.SPAM) for item in items
    )


def _analytics(model_name: str) -> Callable[[int], None]:
    def make(n: int) -> None:
        from django.apps import apps

        now = timezone.now()
        if model_name == "ArticleViews":
            model = apps.get_model("analytics", "ArticleViews")
            model.objects.bulk_create(
                model(article=article, views=1, updated_at=now) for article in _articles(n)
            )
            return
        # The dashboard charts the hourly counts of the last day.
        model = apps.get_model("analytics", "HourlyCount")
        hour = now.replace(minute=0, second=0, microsecond=0)
        model.objects.bulk_create(
            model(kind=kind, hour=hour - timedelta(hours=index % 24), name=f"n{next(_serial)}")
            for index in range(n)
            for kind in ("published", "handler_runs")
        )

    return make


def _security(model_name: str) -> Callable[[int], None]:
    def make(n: int) -> None:
        from django.apps import apps

        model = apps.get_model("security", model_name)
        now = timezone.now()
        users = _users(n)
        rows = {
            "LoginAttempt": lambda user: model(email="x@example.com", user=user, outcome="failed"),
            "AccountLock": lambda user: model(
                user=user, locked_until=now + timedelta(hours=1), failures=5, client_ip="::1"
            ),
            "SuspiciousActivity": lambda user: model(
                reason="credential_stuffing",
                client_ip="::1",
                user=user,
                accounts=3,
                failures=9,
                window_seconds=60,
            ),
            "RateLimitHit": lambda user: model(
                minute=now - timedelta(minutes=users.index(user)),
                scope="login",
                client=f"user:{user.pk}",
                client_ip="::1",
                user=user,
            ),
        }[model_name]
        model.objects.bulk_create(rows(user) for user in users)

    return make


def _webhook_endpoints(n: int) -> list[Endpoint]:
    return Endpoint.objects.bulk_create(
        Endpoint(url=f"https://hooks.example.com/{next(_serial)}", all_events=True, secret="s")
        for _ in range(n)
    )


def _webhook_deliveries(n: int) -> None:
    now = timezone.now()
    records = EventRecord.objects.bulk_create(
        EventRecord(event_id=uuid4(), type="tags.TagUsed", version=1, payload={}, occurred_at=now)
        for _ in range(n)
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_id=record.event_id,
            event_type=record.type,
            next_attempt_at=now,
            retry_until=now,
            created_at=now,
        )
        for endpoint, record in zip(_webhook_endpoints(n), records, strict=True)
    )


# model -> a function that adds n rows its changelist lists.
ROWS: dict[str, Callable[[int], None]] = {
    "analytics.ArticleViews": _analytics("ArticleViews"),
    "analytics.Dashboard": _analytics("Dashboard"),
    "articles.Article": _articles,
    "articles.Favorite": _favorites,
    "articles.ArticleMilestone": lambda n: ArticleMilestone.objects.bulk_create(
        ArticleMilestone(articles_count=next(_serial) + 1, article_id=1) for _ in range(n)
    ),
    "auth.Group": lambda n: Group.objects.bulk_create(
        Group(name=f"g{next(_serial)}") for _ in range(n)
    ),
    "comments.Comment": _comments,
    "django_tasks_database.DBTaskResult": _tasks,
    "events.Delivery": _deliveries,
    "events.EventRecord": _records,
    "moderation.ModerationItem": _items,
    "security.AccountLock": _security("AccountLock"),
    "security.LoginAttempt": _security("LoginAttempt"),
    "security.RateLimitHit": _security("RateLimitHit"),
    "security.SuspiciousActivity": _security("SuspiciousActivity"),
    "tags.Tag": lambda n: Tag.objects.bulk_create(Tag(name=f"t{next(_serial)}") for _ in range(n)),
    "users.Follow": _follows,
    "users.User": _users,
    "webhooks.Endpoint": _webhook_endpoints,
    "webhooks.Delivery": _webhook_deliveries,
}
# The moderation queue opens on pending items; every other list on everything.
QUERY = {"moderation.ModerationItem": "?state=all"}


@pytest.fixture
def root(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root@example.com", "root", "pw"))
    return client


def changelist_queries(client: Client, model: type, rows: int) -> int:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url + QUERY.get(model._meta.label, ""))
    assert response.status_code == 200, response.content[:500]
    if "cl" in response.context:  # a page of rows (the analytics dashboard is charts)
        assert len(response.context["cl"].result_list) >= rows
    return len(queries)


@pytest.mark.parametrize(
    "model",
    [pytest.param(model, id=model._meta.label) for model in admin.site._registry],
)
def test_a_changelist_costs_as_many_queries_for_100_rows_as_for_10(root, model):
    make = ROWS[model._meta.label]
    make(10)
    at_10 = changelist_queries(root, model, 10)
    make(90)

    assert changelist_queries(root, model, 100) == at_10


def test_every_registered_changelist_is_measured():
    assert set(ROWS) == {model._meta.label for model in admin.site._registry}
