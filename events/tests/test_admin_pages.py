"""The audit trail and the deliveries in the admin: filters, searches, the readable payload,
the links from a record to its request, its cause and its effects, and who may retry."""

import json
from datetime import timedelta
from uuid import uuid4

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Delivery, EventRecord
from users.models import User

pytestmark = pytest.mark.django_db

TRAIL = "/admin/events/eventrecord/"
DELIVERIES = "/admin/events/delivery/"
SPAM = {
    "title": "Win big",
    "description": "Cheap viagra and the best casino",
    "body": "Go to https://a.example https://b.example https://c.example",
}


@pytest.fixture
def root(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root@example.com", "root", "pw"))
    return client


@pytest.fixture
def story(api_client, django_capture_on_commit_callbacks):
    """alice registers (request "req-1") and posts a spam article (request "req-2"), which
    the spam check flags and hides in the background, caused by ArticleCreated."""
    with django_capture_on_commit_callbacks(execute=True):
        user = api_client.post(
            "/api/users",
            {"user": {"username": "alice", "email": "a@example.com", "password": "s3cret-pass"}},
            format="json",
            HTTP_X_REQUEST_ID="req-1",
        ).json()["user"]
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(
            "/api/articles",
            {"article": SPAM},
            format="json",
            HTTP_AUTHORIZATION=f"Token {user['token']}",
            HTTP_X_REQUEST_ID="req-2",
        )
    return {
        "alice": User.objects.get(username="alice"),
        "created": EventRecord.objects.get(type="articles.ArticleCreated"),
    }


def listed(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [record.type for record in reversed(response.context["cl"].result_list)]


MODERATION = ["events.SpamDetected", "events.ContentFlagged", "events.ContentHidden"]
ARTICLE = ["articles.ArticleCreated"]


def test_the_trail_filters_by_type_category_and_date(root, story):
    # As the date filter's own links say it: midnight, UTC.
    today = f"{timezone.now().date()} 00:00:00%2B00:00"
    tomorrow = f"{timezone.now().date() + timedelta(days=1)} 00:00:00%2B00:00"

    assert listed(root, f"{TRAIL}?type=events.ContentHidden") == ["events.ContentHidden"]
    assert listed(root, f"{TRAIL}?category=moderation") == MODERATION
    assert listed(root, f"{TRAIL}?category=domain&type=articles.ArticleCreated") == ARTICLE
    dated = f"{TRAIL}?occurred_at__gte={today}&occurred_at__lt={tomorrow}&category=moderation"
    assert listed(root, dated) == MODERATION
    assert listed(root, f"{TRAIL}?occurred_at__gte={tomorrow}") == []


def test_the_trail_is_searched_by_aggregate_actor_and_request(root, story):
    alice, created = story["alice"], story["created"]
    article_id = created.aggregate_id

    assert listed(root, f"{TRAIL}?q={article_id}&type=articles.ArticleCreated") == ARTICLE
    by_actor_id = listed(root, f"{TRAIL}?q={alice.pk}&category=moderation")
    assert by_actor_id == MODERATION  # the background check acted for alice's request
    assert listed(root, f"{TRAIL}?q=alice&category=moderation") == MODERATION
    assert listed(root, f"{TRAIL}?q=req-1&category=domain") == ["users.UserRegistered"]
    assert listed(root, f"{TRAIL}?q=nobody-at-all") == []


def test_a_record_links_to_its_request_its_cause_and_its_effects(root, story):
    created = story["created"]
    hidden = EventRecord.objects.get(type="events.ContentHidden")

    page = root.get(f"{TRAIL}{hidden.pk}/change/").content.decode()

    assert f'href="{TRAIL}?request_id=req-2"' in page
    assert f'href="{TRAIL}{created.pk}/change/"' in page  # the cause
    assert f'href="{TRAIL}?causation_id={hidden.pk}"' in page
    pretty = json.dumps(hidden.payload, indent=2, sort_keys=True)
    assert "<pre>" + pretty.replace('"', "&quot;") + "</pre>" in page
    same_request = listed(root, f"{TRAIL}?request_id=req-2")
    assert [name for name in same_request if name in ARTICLE + MODERATION] == ARTICLE + MODERATION
    assert "users.UserRegistered" not in same_request
    assert listed(root, f"{TRAIL}?causation_id={created.pk}") == MODERATION


def test_deliveries_filter_by_status_and_handler(root, story):
    handler = "events.system.moderation.receivers.check_article_for_spam"

    response = root.get(f"{DELIVERIES}?handler={handler}")

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [row.handler for row in rows] == [handler]
    assert rows[0].event_id == str(story["created"].pk)
    successful = root.get(f"{DELIVERIES}?status={TaskResultStatus.SUCCESSFUL}")
    failed = root.get(f"{DELIVERIES}?status={TaskResultStatus.FAILED}")
    assert len(successful.context["cl"].result_list) == Delivery.objects.count()
    assert list(failed.context["cl"].result_list) == []


def test_deliveries_are_read_and_retried_only_with_their_permissions(story):
    staff = User.objects.create_user("s@example.com", "staff", "pw", is_staff=True)
    client = Client()
    client.force_login(staff)

    assert client.get(DELIVERIES).status_code == 403


# A page of the trail: the session and its user, the count, the page's rows (each with its
# actor's name by a subquery), the aggregate types' filter and the date hierarchy's bounds and
# years; never one query per row.
TRAIL_QUERY_BUDGET = 7


def test_the_trail_lists_actors_by_name_linked_in_a_fixed_number_of_queries(root):
    actors = User.objects.bulk_create(
        User(username=f"actor{n}", email=f"actor{n}@example.com", password="!") for n in range(30)
    )
    now = timezone.now()
    EventRecord.objects.bulk_create(
        EventRecord(
            event_id=uuid4(),
            type="articles.ArticleCreated",
            version=1,
            payload={},
            occurred_at=now - timedelta(seconds=n),
            actor_id=[*[actor.pk for actor in actors], None, 999_999][n % 32],
            aggregate_type="article",
            aggregate_id=str(n),
            request_id=f"request-{n:040d}",
        )
        for n in range(100)
    )

    with CaptureQueriesContext(connection) as queries:
        response = root.get(TRAIL)

    assert response.status_code == 200
    assert len(queries) <= TRAIL_QUERY_BUDGET, [query["sql"] for query in queries]
    assert len(response.context["cl"].result_list) == 100
    page = response.content.decode()
    for actor in actors:
        assert f'<a href="/admin/users/user/{actor.pk}/change/">{actor.username}</a>' in page
    assert "user 999999 (deleted)" in page
    # Ids are shortened in the list (in full on hover and on the record's page).
    assert f'title="every record of request request-{5:040d}">request-…</a>' in page
    assert "100 records" in page


def test_staff_who_may_not_open_users_see_actors_by_name_unlinked(story):
    moderator = User.objects.create_user("m@example.com", "mod", "pw", is_staff=True)
    moderator.user_permissions.add(Permission.objects.get(codename="view_eventrecord"))
    client = Client()
    client.force_login(moderator)

    page = client.get(f"{TRAIL}?category=moderation").content.decode()

    assert '<td class="field-actor">alice</td>' in page
    assert "/admin/users/user/" not in page
