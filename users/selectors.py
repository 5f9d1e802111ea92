"""Reads for users and profiles, remembered until a change renews them (users/reads.py)."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from conduit.auth import user_scope
from conduit.errors import NotFound
from conduit.readcache import read_named, read_through
from users.models import Follow, User
from users.reads import followers_scope, viewer_scope


def followed_among(viewer: Any, user_ids: Iterable[int]) -> frozenset[int]:
    """Which of `user_ids` the viewer follows (none for an anonymous viewer): one query,
    remembered until the next business change."""
    ids = tuple(sorted(user_ids))
    if viewer is None or not viewer.is_authenticated or not ids:
        return frozenset()
    return read_through(
        (viewer_scope(viewer.pk),),
        ("followed-among", viewer.pk, ids),
        lambda: frozenset(
            Follow.objects.filter(follower=viewer.pk, followed_id__in=ids).values_list(
                "followed_id", flat=True
            )
        ),
    )


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """A user as others see them: a profile, an article's or a comment's author. `following`
    is the viewer's; rows that every viewer shares (and the cache keeps) carry False."""

    id: int
    username: str
    bio: str | None
    image: str | None
    following: bool = False


# The columns of a ProfileRow, for selectors that read authors through a relation.
PROFILE_COLUMNS = ("id", "username", "bio", "image")


def profile_row(user: User, *, following: bool = False) -> ProfileRow:
    """The row of a user in hand, without querying again."""
    return ProfileRow(user.pk, user.username, user.bio, user.image, following)


def profile_get(*, username: str, viewer: Any = None) -> ProfileRow:
    """The profile of the user called `username`, with `following` for `viewer` (None or
    anonymous: False); NotFound("profile") otherwise."""
    profile = read_named(
        "profile",
        username,
        find_id=lambda: User.objects.filter(username=username).values_list("pk", flat=True).first(),
        scopes=lambda user_id: (user_scope(user_id),),
        read_by_id=lambda user_id: _profile_row(User.objects.filter(pk=user_id)),
        read_by_name=lambda: _profile_row(User.objects.filter(username=username)),
        name_of=lambda profile: profile.username,
    )
    if profile is None:
        raise NotFound("profile")
    if profile.id in followed_among(viewer, [profile.id]):
        return replace(profile, following=True)
    return profile


def _profile_row(users: Any) -> ProfileRow | None:
    values = users.values_list(*PROFILE_COLUMNS).first()
    return None if values is None else ProfileRow(*values)


def user_find(*, username: str) -> User:
    """The user called `username`, to act on (follow, unfollow); NotFound("profile")
    otherwise."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound("profile")
    return user


def follower_ids(*, user_id: int) -> tuple[int, ...]:
    """The ids of the users who follow the user, remembered until someone follows or
    unfollows them (every new article of theirs asks, to forget those readers' feeds)."""
    return read_through(
        (followers_scope(user_id),),
        ("followers", user_id),
        lambda: tuple(
            Follow.objects.filter(followed_id=user_id).values_list("follower_id", flat=True)
        ),
    )


def followers_count(*, user_id: int) -> int:
    """How many users follow the user."""
    return Follow.objects.filter(followed_id=user_id).count()
