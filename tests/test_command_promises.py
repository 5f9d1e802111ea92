"""The project's management commands keep the docs' promises: every command takes `--json`,
and with it standard output holds exactly one JSON document (logs and progress go to standard
error); every command that changes data declares so and takes `--dry-run`, which changes
nothing. The walk covers every command of the project's own apps (`manage.py help` lists them
beside Django's), so a new command is held to the same promises."""

import json
import socket
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.db import connection
from django_tasks_db.models import DBTaskResult

from articles.services import article_create
from comments.services import comment_create
from users.services import user_register

BASE_DIR = Path(settings.BASE_DIR)


def _own(app_name: str) -> bool:
    """An app of this repository, not an installed package."""
    origin = Path(import_module(app_name).__file__).resolve()
    return origin.is_relative_to(BASE_DIR) and ".venv" not in origin.parts


OWN_COMMANDS = sorted((name, app) for name, app in get_commands().items() if _own(app))

# The arguments a command needs besides --json and --dry-run, against the data `arranged`.
REQUIRED_ARGUMENTS = {
    "export_user_data": ["zed"],
    "cleanup_user_data": ["zed"],
    "events_replay": ["--handler", "articles.search.update_search_index"],
    "db_worker": ["--batch"],
    "webhooks_add": ["https://hooks.example.com/conduit", "--events", "*"],
    "webhooks_test": ["https://hooks.example.com/conduit"],
    "events_prune": ["--older-than", "0", "--include-failed"],
    "seed_bench": ["--force", "--users", "3", "--articles", "3", "--comments", "3"],
}


def command(name: str, app: str):
    return load_command_class(app, name)


def test_the_walk_sees_the_project_commands():
    names = {name for name, _ in OWN_COMMANDS}

    assert {"seed_demo", "search_reindex", "articles_recount", "db_worker"} <= names
    assert {"events_stats", "find_orphans", "cleanup_user_data"} <= names
    assert not names & {"migrate", "runserver", "check", "createsuperuser"}  # Django's


@pytest.mark.parametrize(("name", "app"), OWN_COMMANDS, ids=[name for name, _ in OWN_COMMANDS])
def test_every_command_takes_json_and_every_data_changing_one_takes_dry_run(name, app):
    cmd = command(name, app)
    options = {
        option for action in cmd.create_parser("manage.py", name)._actions
        for option in action.option_strings
    }  # fmt: skip

    assert isinstance(type(cmd).__dict__.get("changes_data"), bool) or isinstance(
        getattr(cmd, "changes_data", None), bool
    ), f"{name}: say whether it changes data (changes_data = True or False)"
    assert "--json" in options, f"{name} does not take --json"
    if cmd.changes_data:
        assert "--dry-run" in options, f"{name} changes data and does not take --dry-run"


@pytest.fixture
def arranged(db):
    """A little of everything: two accounts, an article with a comment."""
    zed = user_register(username="zed", email="zed@example.com", password="correct horse 1")
    yan = user_register(username="yan", email="yan@example.com", password="correct horse 2")
    article = article_create(
        author=zed, title="Walked", description="d", body="b", tag_list=["walk"]
    )
    comment_create(article=article, author=yan, body="Seen.")


def snapshot() -> dict[str, object]:
    """Every model's row count (of the tables this database has: the search index's model is
    PostgreSQL's), and the deliveries' statuses."""
    tables = set(connection.introspection.table_names())
    counts: dict[str, object] = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.db_table in tables
    }
    counts["deliveries"] = sorted(DBTaskResult.objects.values_list("id", "status"))
    return counts


@pytest.mark.parametrize(("name", "app"), OWN_COMMANDS, ids=[name for name, _ in OWN_COMMANDS])
def test_with_json_stdout_is_one_json_document_and_a_dry_run_changes_nothing(
    arranged, capsys, monkeypatch, name, app
):
    # The webhook commands resolve their URL (it must be public); no network here.
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: public)
    changes = command(name, app).changes_data
    arguments = [*REQUIRED_ARGUMENTS.get(name, []), "--json", *(["--dry-run"] if changes else [])]
    before = snapshot()
    capsys.readouterr()

    call_command(name, *arguments)

    stdout = capsys.readouterr().out
    document = json.loads(stdout)  # fails on a second document or any other line
    assert isinstance(document, dict | list), stdout
    if changes:
        assert snapshot() == before, f"{name} --dry-run changed data"
        if isinstance(document, dict) and "dry_run" in document:
            assert document["dry_run"] is True
