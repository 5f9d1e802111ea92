"""The admin says whose it is and where to go: Conduit's name in its header and titles, "View
site" to the API's documentation, and the names the docs use for its two busiest lists."""

import pytest
from django.test import Client

from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root@example.com", "root", "pw"))
    return client


def test_the_index_says_conduit_and_view_site_opens_the_api_docs(root):
    response = root.get("/admin/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Conduit site administration | Conduit admin</title>" in page
    assert '<div id="site-name"><a href="/admin/">Conduit administration</a></div>' in page
    assert '<a href="/api/docs">View site</a>' in page
    assert "Django" not in page
    assert root.get("/api/docs").status_code == 200


def test_the_login_page_says_conduit():
    page = Client().get("/admin/login/").content.decode()

    assert "<title>Log in | Conduit admin</title>" in page
    assert "Conduit administration" in page


@pytest.mark.parametrize(
    ("url", "label", "count"),
    [
        ("/admin/moderation/moderationitem/", "Review queue", "0 items"),
        ("/admin/events/eventrecord/", "Audit trail", "0 records"),
    ],
)
def test_the_review_queue_and_the_audit_trail_go_by_those_names(root, url, label, count):
    index = root.get("/admin/").content.decode()
    page = root.get(url).content.decode()

    assert f'<a href="{url}">{label}</a>' in index
    assert f"<h1>{label}</h1>" in page
    assert f"<title>{label} | Conduit admin</title>" in page
    assert f'<li aria-current="page">{label}</li>' in page  # the breadcrumbs
    assert count in page
    heading = f"Pagination of the {label.lower()}"  # the pages' name, for screen readers
    assert f'<h2 id="pagination" class="visually-hidden">{heading}</h2>' in page
