"""The admin as a newcomer meets it, in a real browser (Chromium, driven by Playwright) against
a live server, at 1400x900: the header says Conduit and "View site" opens the API docs; an
operator opens a hidden article's own page in the review queue and presses Approve (and a
flagged comment's, and presses Remove); the API then shows the article and no longer the
comment, and the audit trail lists both decisions by the operator's name, without a
horizontal scroll; the dashboard has no text under 11 pixels.

Chromium comes from Debian (`apt-get install -y chromium`); Playwright never downloads a
browser here. Screenshots of each page go to artifacts/admin/ (git-ignored), to be looked
at."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from conduit.tests.browser import ORDINARY, PASSWORD, SPAM, api, needs_chromium, register
from events.models import EventRecord
from events.system.analytics import flush
from events.system.analytics.models import HourlyCount, SlowQuery
from events.system.moderation.models import ModerationItem, State
from users.models import User

SCREENSHOTS = Path(django_settings.BASE_DIR) / "artifacts" / "admin"
VIEWPORT = {"width": 1400, "height": 900}

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

# The smallest text on the page, in CSS pixels as computed, and as drawn: an SVG's text is
# scaled with its viewBox, so its computed size times the scale it is drawn at.
SMALLEST_TEXT = """() => {
  let computed = {size: Infinity, text: ""}, drawn = {size: Infinity, text: ""};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const element = walker.currentNode.parentElement;
    if (!text || !element || element.closest("title, script, style")) continue;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    if (style.display === "none" || style.visibility === "hidden" || !box.width) continue;
    const size = parseFloat(style.fontSize);
    let scale = 1;
    if (element instanceof SVGElement) {
      const matrix = element.getScreenCTM();
      scale = Math.hypot(matrix.a, matrix.b);
    }
    const label = `${element.tagName.toLowerCase()} "${text.slice(0, 40)}"`;
    if (size < computed.size) computed = {size, text: label};
    if (size * scale < drawn.size) drawn = {size: size * scale, text: label};
  }
  return {computed, drawn};
}"""


# No horizontal scroll: neither the page nor a list's results (Django's .results scrolls
# sideways by itself when its table is wider) is wider than it is shown.
FITS = """() => [document.documentElement, ...document.querySelectorAll(".results")]
  .every((element) => element.scrollWidth <= element.clientWidth)"""
WIDTHS = """() => [document.documentElement, ...document.querySelectorAll(".results")]
  .map((element) => [element.className, element.scrollWidth, element.clientWidth])"""


@pytest.fixture
def queue(live_server) -> dict:
    """Through the API: alice's spam article, hidden by the spam check; bob's article with
    bob's rude comment, which charlie flags; readers' views and searches for the dashboard."""
    base = live_server.url
    alice, bob, charlie = (register(base, name) for name in ("alice", "bob", "charlie"))
    status, spam = api(base, "POST", "/articles", {"article": SPAM}, alice)
    assert status == 201
    status, ordinary = api(base, "POST", "/articles", {"article": ORDINARY}, bob)
    assert status == 201
    slug = ordinary["article"]["slug"]
    status, comment = api(
        base, "POST", f"/articles/{slug}/comments", {"comment": {"body": "You are all idiots"}}, bob
    )
    assert status == 201
    comment_id = comment["comment"]["id"]
    status, _ = api(
        base,
        "POST",
        f"/articles/{slug}/comments/{comment_id}/flag",
        {"flag": {"reason": "abuse"}},
        charlie,
    )
    assert status == 200
    for _ in range(3):
        assert api(base, "GET", f"/articles/{slug}")[0] == 200
        assert api(base, "GET", "/articles?tag=dragons")[0] == 200
    flush.flush()  # what the dashboard shows, now rather than in a few seconds
    spam_slug = spam["article"]["slug"]
    assert api(base, "GET", f"/articles/{spam_slug}")[0] == 404  # hidden pending review
    return {
        "spam_slug": spam_slug,
        "slug": slug,
        "comment_id": comment_id,
        "spam": ModerationItem.objects.get(article__slug=spam_slug, comment__isnull=True),
        "comment": ModerationItem.objects.get(comment_id=comment_id),
    }


def test_an_operator_approves_and_removes_from_items_pages_and_the_admin_reads_well(
    live_server, queue, admin_login
):
    base = live_server.url
    root = User.objects.create_superuser("root@example.com", "root", PASSWORD)
    spam, comment = queue["spam"], queue["comment"]
    assert (spam.state, comment.state) == (State.HIDDEN, State.FLAGGED)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The index: Conduit's, and "View site" leads to the API docs. The login is by email.
    page = admin_login(root.email, PASSWORD, "/admin/", viewport=VIEWPORT)
    page.wait_for_selector("#content-main .app-moderation")
    assert page.inner_text("#site-name") == "Conduit administration"
    assert page.inner_text("#content h1") == "Conduit site administration"
    assert page.get_attribute("#user-tools a[href='/api/docs']", "href") == "/api/docs"
    assert "Review queue" in page.inner_text(".app-moderation")
    assert "Audit trail" in page.inner_text(".app-events")
    page.screenshot(path=SCREENSHOTS / "1-index.png", full_page=True)

    # The review queue, and an item's own page from its row.
    page.click("#content-main .app-moderation a:text('Review queue')")
    page.wait_for_selector("#result_list")
    assert page.inner_text("#content h1") == "Review queue"
    assert "Win big tonight: Cheap viagra and the best casino" in page.inner_text("#result_list")
    assert page.evaluate(FITS), page.evaluate(WIDTHS)
    page.screenshot(path=SCREENSHOTS / "2-review-queue.png", full_page=True)
    page.click(f"#result_list a[href$='/moderationitem/{spam.pk}/change/']")
    page.wait_for_selector("button[value=approve]")
    assert "hidden pending review" in page.inner_text("#content-main")
    page.screenshot(path=SCREENSHOTS / "3-item.png", full_page=True)

    page.click("button[value=approve]")
    page.wait_for_selector(".messagelist")
    assert page.inner_text(".messagelist") == (
        f"Article {queue['spam_slug']} approved: visible again, its flags resolved."
    )
    assert page.url.endswith(f"/moderationitem/{spam.pk}/change/")  # back on the item
    assert page.inner_text(".field-state .readonly") == "approved"
    assert page.is_disabled("button[value=approve]")  # it would change nothing now
    assert page.is_enabled("button[value=remove]")
    page.screenshot(path=SCREENSHOTS / "4-item-approved.png", full_page=True)

    page.goto(f"{base}/admin/moderation/moderationitem/{comment.pk}/change/")
    page.click("button[value=remove]")
    page.wait_for_selector(".messagelist")
    assert page.inner_text(".messagelist") == (
        f"Comment by bob on {queue['slug']} removed: hidden for good, its flags resolved."
    )

    # The API: the article is back, the comment gone.
    status, article = api(base, "GET", f"/articles/{queue['spam_slug']}")
    assert (status, article["article"]["title"]) == (200, SPAM["title"])
    status, comments = api(base, "GET", f"/articles/{queue['slug']}/comments")
    assert (status, comments["comments"]) == (200, [])

    # The audit trail: both decisions, by the operator's name, linked to their page; it fits.
    page.goto(f"{base}/admin/events/eventrecord/")
    assert page.inner_text("#content h1") == "Audit trail"
    for event_type, item in (("ContentApproved", spam), ("ContentRemoved", comment)):
        record = EventRecord.objects.get(type=f"events.{event_type}")
        assert (record.actor_id, record.aggregate_id) == (root.pk, str(item.pk))
        row = page.locator("#result_list tbody tr", has_text=f"events.{event_type}")
        assert row.count() == 1
        assert row.locator("td.field-actor").inner_text() == "root"
        assert row.locator("td.field-actor a").get_attribute("href") == (
            f"/admin/users/user/{root.pk}/change/"
        )
        aggregate = row.locator("td.field-aggregate").inner_text()
        assert aggregate == f"moderation_item\xa0{item.pk}"  # on one line
    headers = page.locator("#result_list thead th").all_inner_texts()
    assert [header.strip().lower() for header in headers] == [
        "time",
        "event",
        "actor",
        "aggregate",
        "request",
        "cause",
    ]
    assert page.evaluate(FITS), page.evaluate(WIDTHS)
    page.screenshot(path=SCREENSHOTS / "5-audit-trail.png", full_page=True)

    # The dashboard: nothing under 11 pixels, as computed and as drawn; the longest handler
    # name and request path a row can hold wrap instead of widening the page.
    now = timezone.now()
    HourlyCount.objects.create(
        kind=HourlyCount.HANDLER_RUNS,
        hour=now.replace(minute=0, second=0, microsecond=0),
        name="handlers.that.run." + "x" * 182,
        count=1,
    )
    SlowQuery.objects.create(
        fingerprint="f" * 32,
        minute=now.replace(second=0, microsecond=0),
        shape="SELECT 1",
        path="/api/articles?q=" + "y" * 184,
        duration_ms=500,
    )
    page.goto(f"{base}/admin/analytics/dashboard/")
    page.wait_for_selector("svg.analytics-chart")
    smallest = page.evaluate(SMALLEST_TEXT)
    assert smallest["computed"]["size"] >= 11, smallest
    assert smallest["drawn"]["size"] >= 11, smallest
    assert page.evaluate(FITS), page.evaluate(WIDTHS)
    page.screenshot(path=SCREENSHOTS / "6-dashboard.png", full_page=True)
    page.close()
