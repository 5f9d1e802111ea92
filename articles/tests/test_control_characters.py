"""Titles, descriptions, bodies and comments refuse control characters other than a newline
and a tab (422), as tag names do."""

import pytest

pytestmark = pytest.mark.django_db

ARTICLE = {"title": "A title", "description": "About it", "body": "Line one\n\tindented"}


def errors(field: str) -> dict:
    return {"errors": {field: ["can't contain control characters"]}}


@pytest.mark.parametrize("field", ["title", "description", "body"])
@pytest.mark.parametrize("char", ["\u0007", "\x00", "\x1b", "\r", "\x7f", "\x85"])
def test_an_article_with_a_control_character_is_refused(client_for, alice, field, char):
    body = {"article": ARTICLE | {field: f"a{char}bell"}}

    response = client_for(alice).post("/api/articles", body, format="json")

    assert (response.status_code, response.json()) == (422, errors(field))


def test_newlines_and_tabs_are_welcome(client_for, alice):
    response = client_for(alice).post("/api/articles", {"article": ARTICLE}, format="json")

    assert response.status_code == 201
    assert response.json()["article"]["body"] == "Line one\n\tindented"


def test_an_update_with_a_control_character_is_refused(client_for, alice):
    slug = client_for(alice).post("/api/articles", {"article": ARTICLE}, format="json").json()
    slug = slug["article"]["slug"]

    response = client_for(alice).put(
        f"/api/articles/{slug}", {"article": {"title": "a\u0007bell"}}, format="json"
    )

    assert (response.status_code, response.json()) == (422, errors("title"))


def test_a_comment_with_a_control_character_is_refused(client_for, alice):
    slug = client_for(alice).post("/api/articles", {"article": ARTICLE}, format="json").json()
    slug = slug["article"]["slug"]
    url = f"/api/articles/{slug}/comments"

    refused = client_for(alice).post(url, {"comment": {"body": "a\u0007bell"}}, format="json")
    welcome = client_for(alice).post(url, {"comment": {"body": "two\nlines"}}, format="json")

    assert (refused.status_code, refused.json()) == (422, errors("body"))
    assert welcome.status_code == 201
