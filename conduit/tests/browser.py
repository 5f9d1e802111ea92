"""The browser tests' setup: Chromium driven by Playwright against pytest-django's live server,
with the admin logged in; and the API as the browser tests call it, over real HTTP.

Chromium comes from Debian (`apt-get install -y chromium`; .ci/run installs it); Playwright
never downloads a browser here. Without /usr/bin/chromium the tests marked `needs_chromium`
are skipped, saying so. The fixtures are the suite's (conftest.py imports them)."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "s3cret-pass"  # the accounts `register` makes

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Chromium at /usr/bin/chromium: apt-get install -y chromium",
)

# Articles the spam check hides (three links and spam words) and lets through.
SPAM = {
    "title": "Win big tonight",
    "description": "Cheap viagra and the best casino",
    "body": "Go to https://a.example https://b.example https://c.example",
}
ORDINARY = {"title": "Dragon care", "description": "Feeding", "body": "Fish, mostly."}


def api(base: str, method: str, path: str, body: dict | None = None, token: str = ""):
    """(status, JSON body) of a real HTTP request to the live server."""
    request = Request(
        f"{base}/api{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Token {token}"} if token else {}),
    )
    try:
        with urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def register(base: str, name: str) -> str:
    """A new account through the API (password PASSWORD); its token."""
    user = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    status, body = api(base, "POST", "/users", {"user": user})
    assert status == 201, body
    return body["user"]["token"]


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    """Chromium, closed after the test. Playwright's sync API runs an event loop in the test's
    thread; the ORM calls the tests make beside it are synchronous and safe."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def admin_login(live_server, browser) -> Callable:
    """`admin_login(email, password, "/admin/...")`: a new page of the browser, logged in to the
    live server's admin (by email) through its login page, on its way to that path. Page
    options (`viewport=...`) go to the new page."""

    def log_in(email: str, password: str, next_path: str, **page_options):
        page = browser.new_page(**page_options)
        page.set_default_timeout(60_000)  # generous: the machine may be running another suite
        page.goto(f"{live_server.url}/admin/login/?next={next_path}")
        assert page.title() == "Log in | Conduit admin"
        page.fill("#id_username", email)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        return page

    return log_in
