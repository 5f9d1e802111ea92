"""Reads for users and profiles, remembered until the next business change (conduit.readcache)."""

from collections.abc import Iterable
from typing import Any

from conduit.errors import NotFound
from conduit.readcache import read_through
from users.models import Follow, User


def followed_among(viewer: Any, user_ids: Iterable[int]) -> frozenset[int]:
    """Which of `user_ids` the viewer follows (none for an anonymous viewer): one query,
    remembered until the next business change."""
    ids = tuple(sorted(user_ids))
    if viewer is None or not viewer.is_authenticated or not ids:
        return frozenset()
    return read_through(
        ("followed-among", viewer.pk, ids),
        lambda: frozenset(
            Follow.objects.filter(follower=viewer.pk, followed_id__in=ids).values_list(
                "followed_id", flat=True
            )
        ),
    )


def profile_get(*, username: str, viewer: Any = None) -> User:
    """The user called `username`, with `following` for `viewer` (None or anonymous: False);
    NotFound("profile") otherwise."""
    profile = read_through(
        ("profile", username), lambda: User.objects.filter(username=username).first()
    )
    if profile is None:
        raise NotFound("profile")
    profile.following = profile.pk in followed_among(viewer, [profile.pk])
    return profile
