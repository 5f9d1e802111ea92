"""Every password change ends every other token, whatever path saved it: the service, the
admin's password form (test_password_change.py), `manage.py changepassword`, a shell's
`set_password` + `save`. The rule is in the token (it carries a fingerprint of the password
hash it was issued under, conduit.auth.password_fingerprint), so no path has to remember it;
and every path announces UserPasswordChanged."""

from unittest import mock

import pytest
from django.core.management import call_command

from conduit.auth import issue_token
from events.system.security.events import UserPasswordChanged
from events.system.security.tests.conftest import recorded
from events.testing import assert_same_events
from users import services
from users.models import User

pytestmark = pytest.mark.django_db

ME = "/api/user"
INVALID = {"errors": {"token": ["is invalid"]}}


def me(client, token: str):
    return client.get(ME, HTTP_AUTHORIZATION=f"Token {token}")


@pytest.fixture
def read_cache_on(settings):
    """The user behind a token is remembered: the change must be seen through it."""
    settings.READ_CACHE_SECONDS = 60


def test_the_service_ends_every_other_token(
    api_client, alice, read_cache_on, django_capture_on_commit_callbacks
):
    token = issue_token(alice)
    assert me(api_client, token).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        services.user_update(user=alice, password="a brand new secret")

    assert me(api_client, token).json() == INVALID
    assert me(api_client, issue_token(alice)).status_code == 200
    assert_same_events(recorded(UserPasswordChanged), [UserPasswordChanged(user_id=alice.pk)])


def test_manage_py_changepassword_ends_every_token(
    api_client, alice, read_cache_on, django_capture_on_commit_callbacks
):
    token = issue_token(alice)
    assert me(api_client, token).status_code == 200

    with (
        mock.patch(
            "django.contrib.auth.management.commands.changepassword.Command._get_pass",
            return_value="changed at the console",
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("changepassword", "alice@example.com", stdout=mock.MagicMock())

    assert me(api_client, token).json() == INVALID
    assert User.objects.get(pk=alice.pk).check_password("changed at the console")
    assert_same_events(recorded(UserPasswordChanged), [UserPasswordChanged(user_id=alice.pk)])


def test_a_shells_set_password_and_save_ends_every_token(
    api_client, alice, read_cache_on, django_capture_on_commit_callbacks
):
    token = issue_token(alice)
    assert me(api_client, token).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        user = User.objects.get(email="alice@example.com")
        user.set_password("changed in a shell")
        user.save()

    assert me(api_client, token).json() == INVALID
    assert_same_events(recorded(UserPasswordChanged), [UserPasswordChanged(user_id=alice.pk)])


def test_the_token_kept_by_put_user_ends_at_the_next_change_by_any_path(
    api_client, alice, django_capture_on_commit_callbacks
):
    token = issue_token(alice)
    response = api_client.put(
        ME,
        {"user": {"password": "changed through the api"}},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 200
    assert me(api_client, token).status_code == 200  # the session that changed it stays

    with django_capture_on_commit_callbacks(execute=True):
        user = User.objects.get(pk=alice.pk)
        user.set_password("changed again in a shell")
        user.save()

    assert me(api_client, token).json() == INVALID
    assert me(api_client, response.json()["user"]["token"]).json() == INVALID


def test_saving_the_user_without_a_new_password_keeps_every_token(
    api_client, alice, django_capture_on_commit_callbacks
):
    token = issue_token(alice)

    with django_capture_on_commit_callbacks(execute=True):
        user = User.objects.get(pk=alice.pk)
        user.bio = "saved in a shell"
        user.save()

    assert me(api_client, token).status_code == 200
    assert recorded(UserPasswordChanged) == []
