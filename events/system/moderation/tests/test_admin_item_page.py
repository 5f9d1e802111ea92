"""An item's own page in the review queue has Approve and Remove buttons: the queue's actions,
posted by the page's own form (read from the page, CSRF token and all, by a client that
enforces CSRF), with the same effects as the queue's action menu: the content's visibility in
the API and the audit trail's records, the moderator as their actor. Only POST changes
anything, and only for a moderator with the permission."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from articles.tests.factories import ArticleFactory
from comments.tests.factories import CommentFactory
from events.models import EventRecord
from events.system.moderation.models import ModerationItem, State
from events.system.moderation.services import content_check_spam, content_flag
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/moderationitem/"
SPAM_BODY = "Cheap viagra at the casino: https://a.example https://b.example https://c.example"


class _FormReader(HTMLParser):
    """The fields a browser would post from the form `form_id`: its hidden inputs, and its
    submit buttons by value (name, value, disabled)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.hidden: dict[str, str] = {}
        self.buttons: dict[str, tuple[str, bool]] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        elif self.inside and tag == "input" and attributes.get("type") == "hidden":
            self.hidden[attributes["name"]] = attributes.get("value") or ""
        elif self.inside and tag == "button" and attributes.get("type") == "submit":
            self.buttons[attributes["value"]] = (attributes["name"], "disabled" in attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def item_page(client: Client, item: ModerationItem) -> _FormReader:
    response = client.get(f"{QUEUE}{item.pk}/change/")
    assert response.status_code == 200
    reader = _FormReader("moderationitem_form")
    reader.feed(response.content.decode())
    return reader


def press(client: Client, item: ModerationItem, button: str):
    """Press a button of the item's page as a browser would: the form's fields and the
    button's name and value, to the form's own address."""
    form = item_page(client, item)
    name, disabled = form.buttons[button]
    assert not disabled
    return client.post(f"{QUEUE}{item.pk}/change/", {**form.hidden, name: button}, follow=True)


def logged_in(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.fixture
def spam_item(alice) -> ModerationItem:
    """An article the spam check hid pending review."""
    article = ArticleFactory(author=alice, title="Win big", description="Now", body=SPAM_BODY)
    content_check_spam(article_id=article.pk)
    return ModerationItem.objects.get(article=article)


@pytest.fixture
def comment_item(bob, charlie) -> ModerationItem:
    """A comment a reader flagged (still visible)."""
    comment = CommentFactory(author=bob, body="You are all idiots")
    content_flag(user=charlie, article=comment.article, comment=comment, reason="abuse")
    return ModerationItem.objects.get(comment=comment)


def decided(item: ModerationItem) -> EventRecord:
    return EventRecord.objects.get(
        type__in=["events.ContentApproved", "events.ContentRemoved"],
        aggregate_type="moderation_item",
        aggregate_id=str(item.pk),
    )


def test_an_items_page_offers_the_moderators_decisions_as_buttons(spam_item, moderator):
    form = item_page(logged_in(moderator), spam_item)

    assert form.buttons == {
        "approve": ("CHANGE_FORM-action", False),
        "remove": ("CHANGE_FORM-action", False),
    }
    assert form.hidden["_selected_action"] == str(spam_item.pk)
    assert form.hidden["csrfmiddlewaretoken"]


@pytest.mark.parametrize("where", ["page", "queue"])
def test_approving_on_the_page_does_what_the_queues_action_does(
    where, spam_item, moderator, api_client, django_capture_on_commit_callbacks
):
    client = logged_in(moderator)
    slug = spam_item.article.slug
    assert api_client.get(f"/api/articles/{slug}").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        if where == "page":
            response = press(client, spam_item, "approve")
        else:
            queue = client.get(QUEUE)
            token = queue.cookies["csrftoken"].value
            response = client.post(
                QUEUE,
                {"action": "approve", "_selected_action": [spam_item.pk]},
                HTTP_X_CSRFTOKEN=token,
                follow=True,
            )

    assert response.status_code == 200
    assert f"Article {slug} approved: visible again, its flags resolved." in (
        response.content.decode()
    )
    assert response.redirect_chain[-1][0].endswith(
        f"{spam_item.pk}/change/" if where == "page" else QUEUE
    )
    assert api_client.get(f"/api/articles/{slug}").status_code == 200
    assert ModerationItem.objects.get(pk=spam_item.pk).state == State.APPROVED
    record = decided(spam_item)
    assert (record.type, record.actor_id) == ("events.ContentApproved", moderator.pk)
    assert record.payload == {
        "item_id": spam_item.pk,
        "content_type": "article",
        "article_id": spam_item.article_id,
        "comment_id": None,
        "author_id": spam_item.author_id,
        "moderator_id": moderator.pk,
        "was_hidden": True,
    }
    assert not EventRecord.objects.filter(type="events.BulkOperationCompleted").exists()


@pytest.mark.parametrize("where", ["page", "queue"])
def test_removing_on_the_page_does_what_the_queues_action_does(
    where, comment_item, moderator, api_client, django_capture_on_commit_callbacks
):
    client = logged_in(moderator)
    slug, comment_id = comment_item.article.slug, comment_item.comment_id

    with django_capture_on_commit_callbacks(execute=True):
        if where == "page":
            press(client, comment_item, "remove")
        else:
            token = client.get(QUEUE).cookies["csrftoken"].value
            client.post(
                QUEUE,
                {"action": "remove", "_selected_action": [comment_item.pk]},
                HTTP_X_CSRFTOKEN=token,
            )

    comments = api_client.get(f"/api/articles/{slug}/comments").json()["comments"]
    assert comment_id not in [comment["id"] for comment in comments]
    record = decided(comment_item)
    assert (record.type, record.actor_id) == ("events.ContentRemoved", moderator.pk)
    assert (record.payload["comment_id"], record.payload["was_hidden"]) == (comment_id, False)


def test_a_decision_already_taken_is_a_disabled_button_and_a_repeat_changes_nothing(
    spam_item, moderator
):
    client = logged_in(moderator)
    press(client, spam_item, "approve")
    form = item_page(client, spam_item)

    assert form.buttons["approve"] == ("CHANGE_FORM-action", True)
    assert form.buttons["remove"] == ("CHANGE_FORM-action", False)
    repeat = client.post(
        f"{QUEUE}{spam_item.pk}/change/",
        {**form.hidden, "CHANGE_FORM-action": "approve"},
        follow=True,
    )
    assert f"Article {spam_item.article.slug} was already approved: nothing changed." in (
        repeat.content.decode()
    )
    assert EventRecord.objects.filter(type="events.ContentApproved").count() == 1


def test_staff_without_the_moderate_permission_get_no_buttons_and_cannot_post(
    spam_item, mock_event_bus
):
    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_moderationitem"))
    client = logged_in(reader)

    form = item_page(client, spam_item)
    response = client.post(
        f"{QUEUE}{spam_item.pk}/change/",
        {**form.hidden, "CHANGE_FORM-action": "approve", "_selected_action": spam_item.pk},
    )

    assert form.buttons == {}
    assert response.status_code == 403
    mock_event_bus.assert_nothing_published()
    assert ModerationItem.objects.get(pk=spam_item.pk).state == State.HIDDEN


def test_a_moderator_who_lost_the_permission_cannot_post_the_page_they_opened(
    spam_item, moderator, mock_event_bus
):
    client = logged_in(moderator)
    form = item_page(client, spam_item)
    moderator.groups.clear()
    moderator.user_permissions.add(Permission.objects.get(codename="view_moderationitem"))

    response = client.post(
        f"{QUEUE}{spam_item.pk}/change/", {**form.hidden, "CHANGE_FORM-action": "remove"}
    )

    assert response.status_code == 403
    mock_event_bus.assert_nothing_published()
    assert ModerationItem.objects.get(pk=spam_item.pk).state == State.HIDDEN


def test_only_a_post_with_the_csrf_token_decides(spam_item, moderator, mock_event_bus):
    client = logged_in(moderator)
    form = item_page(client, spam_item)
    fields = {**form.hidden, "CHANGE_FORM-action": "approve"}
    without_token = {name: value for name, value in fields.items() if name != "csrfmiddlewaretoken"}

    got = client.get(f"{QUEUE}{spam_item.pk}/change/", fields)
    forged = client.post(f"{QUEUE}{spam_item.pk}/change/", without_token)

    assert got.status_code == 200
    assert forged.status_code == 403
    mock_event_bus.assert_nothing_published()
    assert ModerationItem.objects.get(pk=spam_item.pk).state == State.HIDDEN
