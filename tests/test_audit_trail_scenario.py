"""One user's story, told back by the audit trail: every business change, in order, each
stamped with the request that caused it."""

import pytest

from events.models import EventRecord

pytestmark = pytest.mark.django_db


def test_the_audit_trail_tells_a_whole_scenario_in_order(
    api_client, django_capture_on_commit_callbacks
):
    def call(method: str, path: str, request_id: str, body: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(api_client, method)(
                f"/api{path}", body, format="json", HTTP_X_REQUEST_ID=request_id
            )
        assert response.status_code < 300, response.content
        assert response["X-Request-ID"] == request_id
        return response

    user = call(
        "post",
        "/users",
        "req-register",
        {"user": {"username": "dana", "email": "dana@example.com", "password": "s3cret-pass"}},
    ).json()["user"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {user['token']}")
    # Tags are told in tagList's order: sorted.
    article = {"title": "Hello", "description": "d", "body": "b", "tagList": ["red", "blue"]}
    slug = call("post", "/articles", "req-create", {"article": article}).json()["article"]["slug"]
    call("post", f"/articles/{slug}/favorite", "req-favorite")
    comment = call(
        "post", f"/articles/{slug}/comments", "req-comment", {"comment": {"body": "Nice"}}
    ).json()["comment"]
    call("delete", f"/articles/{slug}/comments/{comment['id']}", "req-uncomment")
    call("delete", f"/articles/{slug}", "req-delete")

    trail = [
        (record.request_id, record.type, record.payload.get("name", ""))
        for record in EventRecord.objects.order_by("occurred_at")
    ]
    assert trail == [
        ("req-register", "users.UserRegistered", ""),
        ("req-create", "tags.TagCreated", "blue"),
        ("req-create", "tags.TagCreated", "red"),
        ("req-create", "articles.ArticleCreated", ""),
        ("req-create", "tags.TagUsed", "blue"),
        ("req-create", "tags.TagUsed", "red"),
        # Dana's firsts (analytics' milestones), caused by the change and stamped with it.
        ("req-create", "events.UserEngagementMilestone", ""),
        ("req-favorite", "articles.ArticleFavorited", ""),
        ("req-favorite", "events.UserEngagementMilestone", ""),
        ("req-comment", "comments.ArticleCommentAdded", ""),
        ("req-comment", "events.UserEngagementMilestone", ""),
        ("req-uncomment", "comments.CommentDeleted", ""),
        ("req-delete", "tags.TagRemoved", "blue"),
        ("req-delete", "tags.TagRemoved", "red"),
        ("req-delete", "articles.ArticleDeleted", ""),
    ]
    user_id = EventRecord.objects.get(type="users.UserRegistered").payload["user_id"]
    actors = set(EventRecord.objects.exclude(request_id="req-register").values_list("actor_id"))
    assert actors == {(user_id,)}, "every change after registration is dana's"
