"""A moderator works the review queue in a real browser (Chromium, driven by Playwright)
against a live server: the spam check has hidden one article and a reader has flagged
another; the moderator approves the first and removes the second; the API then shows the
first and answers 404 for the second, and the audit trail page lists what happened.

Chromium comes from Debian (`apt-get install -y chromium`; .ci/run installs it); Playwright
never downloads a browser here. Without /usr/bin/chromium these tests are skipped, saying so.
Screenshots are kept in artifacts/browser/ (git-ignored)."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from conduit.tests.browser import ORDINARY, SPAM, api, needs_chromium, register
from events.system.moderation.models import ModerationItem, State
from events.system.moderation.tests.conftest import moderators_group
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

SCREENSHOTS = Path(django_settings.BASE_DIR) / "artifacts" / "browser"

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def moderator(db):
    user = UserFactory(username="mo", email="mo@example.com", is_staff=True)
    user.groups.add(moderators_group())
    return user


def test_a_moderator_approves_one_item_and_removes_another_in_the_browser(
    live_server, moderator, admin_login
):
    base = live_server.url
    alice, bob, charlie = (register(base, name) for name in ("alice", "bob", "charlie"))
    status, spam = api(base, "POST", "/articles", {"article": SPAM}, alice)
    assert status == 201  # the spam check runs after the write, in the background
    status, ordinary = api(base, "POST", "/articles", {"article": ORDINARY}, bob)
    assert status == 201
    spam_slug, ordinary_slug = spam["article"]["slug"], ordinary["article"]["slug"]
    status, _ = api(
        base, "POST", f"/articles/{ordinary_slug}/flag", {"flag": {"reason": "abuse"}}, charlie
    )
    assert status == 200
    assert api(base, "GET", f"/articles/{spam_slug}")[0] == 404  # hidden pending review
    spam_item = ModerationItem.objects.get(article__slug=spam_slug)
    flagged_item = ModerationItem.objects.get(article__slug=ordinary_slug)
    assert (spam_item.state, flagged_item.state) == (State.HIDDEN, State.FLAGGED)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page = admin_login(moderator.email, DEFAULT_PASSWORD, "/admin/moderation/moderationitem/")
    page.wait_for_selector("#result_list")
    queue = page.inner_text("#result_list")
    assert "Win big tonight: Cheap viagra and the best casino" in queue
    assert "hidden pending review" in queue
    assert "Dragon care: Feeding" in queue
    page.screenshot(path=SCREENSHOTS / "1-queue.png", full_page=True)

    decide(page, spam_item.pk, "approve")
    assert f"Article {spam_slug} approved: visible again" in page.inner_text(".messagelist")
    page.screenshot(path=SCREENSHOTS / "2-approved.png", full_page=True)
    decide(page, flagged_item.pk, "remove")
    assert f"Article {ordinary_slug} removed: hidden for good" in page.inner_text(".messagelist")
    assert page.locator("#result_list").count() == 0  # nothing left pending

    assert api(base, "GET", f"/articles/{spam_slug}")[0] == 200
    assert api(base, "GET", f"/articles/{ordinary_slug}") == (
        404,
        {"errors": {"article": ["not found"]}},
    )
    slugs = [article["slug"] for article in api(base, "GET", "/articles")[1]["articles"]]
    assert slugs == [spam_slug]

    page.goto(f"{base}/admin/events/eventrecord/?category=moderation")
    trail = page.inner_text("#result_list")
    for event_type in (
        "events.SpamDetected",
        "events.ContentFlagged",
        "events.ContentHidden",
        "events.ContentApproved",
        "events.ContentRemoved",
    ):
        assert event_type in trail, event_type
    page.screenshot(path=SCREENSHOTS / "3-audit-trail.png", full_page=True)
    page.close()
    assert os.path.getsize(SCREENSHOTS / "3-audit-trail.png") > 0


def decide(page, item_id: int, action: str) -> None:
    """Tick the item in the queue, choose the action, press Go."""
    page.check(f"input[name=_selected_action][value='{item_id}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
