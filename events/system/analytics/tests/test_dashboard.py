"""The operators' dashboard in the admin: staff only, linked from the admin's index, and its
numbers are the ones the test's own requests and writes produced."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext

from articles.services import article_create
from articles.tests.factories import ArticleFactory
from events.models import Delivery, EventRecord
from events.system.analytics import flush, services
from events.system.analytics.models import ArticleViews
from events.system.analytics.slowqueries import fingerprint
from events.system.analytics.tally import SlowSample
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/analytics/dashboard/"


@pytest.fixture
def staff(client):
    """A staff member with no permission of their own: the dashboard is for all staff."""
    client.force_login(UserFactory(username="operator", is_staff=True))
    return client


def test_the_admin_index_links_to_the_dashboard(staff):
    response = staff.get("/admin/")

    assert response.status_code == 200
    assert f'href="{DASHBOARD}"'.encode() in response.content


def test_the_dashboard_is_a_page_with_no_rows_to_open(staff):
    assert staff.get(f"{DASHBOARD}1/change/").status_code == 404


def test_anyone_but_staff_is_sent_to_the_login(client, alice):
    anonymous = client.get(DASHBOARD)
    client.force_login(alice)
    reader = client.get(DASHBOARD)

    for response in (anonymous, reader):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_dashboard_shows_what_happened(
    staff, api_client, client_for, alice, bob, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dragons = article_create(
            author=alice, title="Dragons", description="d", body="b", tag_list=["dragons"]
        )
        for path, params in [
            (f"/api/articles/{dragons.slug}", {}),
            (f"/api/articles/{dragons.slug}", {}),
            (f"/api/articles/{dragons.slug}", {}),
            ("/api/articles", {"tag": "dragons"}),
            ("/api/articles", {"tag": "dragons"}),
            ("/api/articles", {"author": "nobody"}),
        ]:
            assert api_client.get(path, params).status_code == 200
    settings.EVENTS_DELIVER_ON_COMMIT = False  # this one's deliveries wait for the worker
    with django_capture_on_commit_callbacks(execute=True):
        article_create(author=bob, title="Knights", description="d", body="b")
    services.popular_tag_check(name="dragons", articles_count=12)
    services.slow_queries_add(
        [
            SlowSample(
                fingerprint("SELECT ?"), "SELECT ?", 321.0, "/x", "", datetime.now(UTC).timestamp()
            )
        ]
    )
    flush.flush()

    response = staff.get(DASHBOARD)

    assert response.status_code == 200
    board = response.context["dashboard"]
    published = Counter(EventRecord.objects.values_list("type", flat=True))
    published.update({"events.ArticleViewIncremented": 3, "events.SearchPerformed": 3})
    assert {series.name: series.total for series in board.published_by_type} == published
    assert board.published.total == published.total()
    handlers = {row.handler: (row.runs, row.failures) for row in board.handlers}
    assert handlers["events.system.analytics.receivers.count_article_view"] == (3, 0)
    assert handlers["events.system.analytics.receivers.count_search"] == (3, 0)
    pending = Delivery.objects.filter(status=TaskResultStatus.READY).count()
    assert pending > 0 and board.backlog == {"pending": pending, "running": 0, "dead": 0}
    assert [(row.article.title, row.views) for row in board.most_viewed] == [("Dragons", 3)]
    assert [(s.value, s.searches, s.results, s.empty) for s in board.searched["tag"]] == [
        ("dragons", 2, 2, 0)
    ]
    assert [(s.value, s.searches, s.empty) for s in board.searched["author"]] == [("nobody", 1, 1)]
    assert [(m.user.username, m.kind, m.milestone) for m in board.milestones] == [
        ("alice", "articles_written", 1)
    ]
    assert [(t.name, t.threshold) for t in board.popular_tags] == [("dragons", 10)]
    assert [(q.shape, q.duration_ms) for q in board.slow_queries] == [("SELECT ?", 321.0)]
    assert board.traffic.total == 6
    page = response.content.decode()
    for shown in ("Dragons", "dragons", "nobody", "articles_written", "SELECT ?", "<svg"):
        assert shown in page


def test_the_dashboard_costs_the_same_queries_however_much_history(staff, alice):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff.get(DASHBOARD).status_code == 200
        return len(captured)

    ArticleViews.objects.create(
        article=ArticleFactory(author=alice), views=1, updated_at=datetime.now(UTC)
    )
    few = queries()
    for n in range(30):
        article = ArticleFactory(author=alice)
        ArticleViews.objects.create(article=article, views=n, updated_at=datetime.now(UTC))
        services.milestone_check(user_id=UserFactory().pk, kind="followers", count=n + 1)
        services.popular_tag_check(name=f"tag{n}", articles_count=10 + n)

    assert queries() == few


def test_the_article_views_list_costs_the_same_queries_at_ten_rows_as_at_a_hundred(client, alice):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    def listing() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/admin/analytics/articleviews/")
        assert response.status_code == 200
        return len(captured)

    def add(count: int) -> None:
        for _ in range(count):
            ArticleViews.objects.create(
                article=ArticleFactory(author=alice), views=7, updated_at=datetime.now(UTC)
            )

    add(10)
    ten = listing()
    add(90)

    assert listing() == ten
