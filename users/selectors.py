"""Reads for users and profiles: querysets annotated with what a response needs."""

from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value

from conduit.errors import NotFound
from users.models import Follow, User


def following_expression(viewer: Any, *, user_ref: str = "pk") -> Exists | Value:
    """Whether `viewer` follows the user at `user_ref` of each row ("pk" on users, "author"
    on articles); plain False for an anonymous viewer, so no subquery runs."""
    if viewer is None or not viewer.is_authenticated:
        return Value(False, output_field=BooleanField())
    return Exists(Follow.objects.filter(follower=viewer.pk, followed=OuterRef(user_ref)))


def profile_list(*, viewer: Any = None) -> QuerySet[User]:
    """Users annotated with `following` for `viewer` (None or anonymous: False)."""
    return User.objects.annotate(following=following_expression(viewer))


def profile_get(*, username: str, viewer: Any = None) -> User:
    """The user called `username`, annotated with `following`; NotFound("profile") otherwise."""
    profile = profile_list(viewer=viewer).filter(username=username).first()
    if profile is None:
        raise NotFound("profile")
    return profile
