"""The background handlers with the real `manage.py db_worker`, in its own process, against the
test database: a new article becomes searchable and a new account gets its welcome email (a
file backend) within moments, and what is written while the worker is down is indexed once it
is back."""

import signal
import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from articles.services import article_create, article_delete, article_update
from conduit.tests.processes import FINISH_SECONDS, wait_for
from events.tests.test_worker_process import start_worker
from users.services import user_register

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_env(settings, monkeypatch, tmp_path):
    """Deliveries wait for the worker; its email goes to files in `tmp_path / "mail"`."""
    settings.EVENTS_DELIVER_ON_COMMIT = False
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    monkeypatch.setenv("EMAIL_URL", f"filemail:///{mail_dir}")  # "////": an absolute path
    return mail_dir


def found(q: str) -> list[str]:
    response = APIClient().get("/api/articles", {"q": q})
    assert response.status_code == 200
    return [article["title"] for article in response.json()["articles"]]


def stop(worker) -> None:
    worker.send_signal(signal.SIGTERM)
    worker.communicate(timeout=FINISH_SECONDS)


def test_the_worker_indexes_a_new_article_and_welcomes_a_new_account(sessions, worker_env: Path):
    worker = start_worker(sessions)
    try:
        dana = user_register(username="dana", email="dana@example.com", password="correct horse")
        wait_for(lambda: any(worker_env.iterdir()))  # the worker is up and has sent it
        written = time.monotonic()
        article_create(author=dana, title="Worker dragon", description="d", body="b")
        wait_for(lambda: found("dragon") == ["Worker dragon"])
        searchable_after = time.monotonic() - written
    finally:
        stop(worker)

    # Moments (the worker polls every 0.1 s), with room for a machine running two suites at
    # once: a lost delivery would never show, a missed poll would take the lease (300 s).
    assert searchable_after < 30, f"searchable after {searchable_after:.1f} s"
    (sent,) = worker_env.iterdir()
    message = sent.read_text()
    assert "Subject: Welcome to Conduit, dana" in message
    assert "To: dana@example.com" in message


def test_what_is_written_while_the_worker_is_down_is_indexed_once_it_is_back(
    sessions, worker_env: Path
):
    author = user_register(username="erin", email="erin@example.com", password="correct horse")
    kept = article_create(author=author, title="Kept dragon", description="d", body="b")
    doomed = article_create(author=author, title="Doomed dragon", description="d", body="b")
    worker = start_worker(sessions)
    try:
        wait_for(lambda: found("dragon") == ["Doomed dragon", "Kept dragon"])
    finally:
        worker.send_signal(signal.SIGKILL)  # no goodbye
        worker.communicate(timeout=FINISH_SECONDS)

    article_update(article=kept, user=author, title="Kept wyvern")
    article_delete(article=doomed, user=author)
    article_create(author=author, title="New dragon", description="d", body="b")
    assert found("dragon") == ["Kept wyvern"]  # the index has not heard of any of it

    worker = start_worker(sessions, "--batch")
    output, _ = worker.communicate(timeout=FINISH_SECONDS)

    assert worker.returncode == 0, output
    assert found("dragon") == ["New dragon"]
    assert found("wyvern") == ["Kept wyvern"]
