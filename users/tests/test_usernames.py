# ruff: noqa: RUF001 - look-alike letters are what these tests are about
"""Usernames are unique without regard to letter case, Unicode form (NFKC) and Cyrillic or
Greek look-alikes; a name mixing Latin letters with Cyrillic or Greek ones is refused (422).
Existing duplicates stop the migration, which names the command that lists them."""

import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TAKEN = {"errors": {"username": ["has already been taken"]}}
MIXED = {"errors": {"username": ["can't mix Latin letters with Cyrillic or Greek ones"]}}


def register(api_client, username: str):
    body = {
        "user": {
            "username": username,
            "email": f"{username.encode().hex()}@example.com",
            "password": "long enough",
        }
    }
    return api_client.post("/api/users", body, format="json")


@pytest.mark.parametrize(
    "twin",
    ["ALICE", "Alice", "Ａｌｉｃｅ", "ａｌｉｃｅ"],
    ids=["upper", "capitalised", "full-width", "full-width lower"],
)
def test_a_name_that_differs_from_alice_only_by_case_or_form_is_taken(api_client, alice, twin):
    response = register(api_client, twin)

    assert (response.status_code, response.json()) == (409, TAKEN)


def test_an_all_cyrillic_look_alike_of_a_latin_name_is_taken(api_client):
    UserFactory(username="bob")

    response = register(api_client, "вов")  # Cyrillic ve, o, ve

    assert (response.status_code, response.json()) == (409, TAKEN)


@pytest.mark.parametrize(
    "mixed", ["alicе", "аlice", "αlice"], ids=["cyrillic e", "cyrillic a", "greek alpha"]
)
def test_a_name_mixing_latin_with_cyrillic_or_greek_is_refused(api_client, mixed):
    response = register(api_client, mixed)

    assert (response.status_code, response.json()) == (422, MIXED)
    assert not User.objects.filter(username=mixed).exists()


def test_names_in_one_other_script_are_welcome(api_client):
    assert register(api_client, "Дмитрий").status_code == 201
    assert register(api_client, "Σωκράτης").status_code == 201
    assert register(api_client, "jürgen").status_code == 201


def test_bob_cannot_rename_himself_to_a_twin_of_alice(client_for, alice, bob):
    response = client_for(bob).put("/api/user", {"user": {"username": "ALICE"}}, format="json")

    assert (response.status_code, response.json()) == (409, TAKEN)


def test_alice_may_change_the_case_of_her_own_name(client_for, alice):
    response = client_for(alice).put("/api/user", {"user": {"username": "Alice"}}, format="json")

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "Alice"


def test_the_database_refuses_a_twin_saved_by_any_path(alice):
    with pytest.raises(IntegrityError):
        User(username="ALICE", email="other@example.com").save()


def clashing_accounts():
    """Accounts saved before the rule (the base manager's bulk_create keeps no key)."""
    now = timezone.now()
    return User._base_manager.bulk_create(
        [
            User(username="alice", username_key="k1", email="a1@example.com", date_joined=now),
            User(username="ALICE", username_key="k2", email="a2@example.com", date_joined=now),
            User(username="bob", username_key="k3", email="b@example.com", date_joined=now),
        ]
    )


def test_the_migration_stops_on_existing_duplicates_and_names_the_command():
    from importlib import import_module

    migration = import_module("users.migrations.0005_username_key")
    clashing_accounts()

    with pytest.raises(RuntimeError, match=r"manage\.py username_duplicates") as stopped:
        migration.fill_username_keys(apps, None)

    assert "'alice', 'ALICE'" in str(stopped.value)
    assert set(User.objects.values_list("username", flat=True)) == {"alice", "ALICE", "bob"}


def test_the_command_lists_the_duplicates_as_json():
    clashing_accounts()
    out = StringIO()

    call_command("username_duplicates", "--json", stdout=out)

    groups = json.loads(out.getvalue())
    assert [(g["key"], [a["username"] for a in g["accounts"]]) for g in groups] == [
        ("alice", ["alice", "ALICE"])
    ]
    assert groups[0]["accounts"][0]["email"] == "a1@example.com"


def test_the_command_says_when_nothing_collides(alice, bob):
    out = StringIO()

    call_command("username_duplicates", stdout=out)

    assert out.getvalue() == "No usernames collide.\n"
