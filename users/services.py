"""Writes for users, logins and follows. The only place that publishes users' events."""

from typing import Final

from django.db import IntegrityError, transaction
from django.utils import timezone

from conduit.errors import Conflict, Invalid, InvalidCredentials
from events import bus
from users.events import (
    UserFollowed,
    UserLoggedIn,
    UserProfileUpdated,
    UserRegistered,
    UserUnfollowed,
)
from users.models import Follow, User
from users.validators import (
    is_valid_email,
    is_valid_username,
    normalize_email,
    normalize_username,
)


class Unset:
    """The type of UNSET: "leave this field alone", as opposed to None ("set it to null")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


def user_register(*, username: str, email: str, password: str) -> User:
    """Create an account; Conflict (409) when the username or email is taken."""
    username = _clean_username(username)
    email = _clean_email(email)
    _require(password, "password")
    _ensure_available(username=username, email=email)
    user = User(username=username, email=email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
            bus.publish(UserRegistered(user_id=user.pk, username=user.username, email=user.email))
    except IntegrityError:
        # Someone took the name between our check and our insert: the unique index decides.
        _ensure_available(username=username, email=email)
        raise
    return user


def user_login(*, email: str, password: str) -> User:
    """The active user with this email and password; InvalidCredentials (401) otherwise."""
    user = User.objects.filter(email=normalize_email(email)).first()
    if user is None:
        # Hash anyway, so that an unknown email takes as long to refuse as a wrong password.
        User().set_password(password)
        raise InvalidCredentials()
    if not user.check_password(password) or not user.is_active:
        raise InvalidCredentials()
    with transaction.atomic():
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        bus.publish(UserLoggedIn(user_id=user.pk, username=user.username))
    return user


def user_update(
    *,
    user: User,
    email: str | Unset = UNSET,
    username: str | Unset = UNSET,
    password: str | Unset = UNSET,
    bio: str | Unset | None = UNSET,
    image: str | Unset | None = UNSET,
) -> User:
    """Change any subset of the fields; "" clears bio and image. Publishes UserProfileUpdated
    with the names of the fields that actually changed, and nothing when none did."""
    changes: dict[str, object] = {}
    if not isinstance(email, Unset):
        email = _clean_email(email)
        if email != user.email:
            changes["email"] = email
    if not isinstance(username, Unset):
        username = _clean_username(username)
        if username != user.username:
            changes["username"] = username
    for name, value in (("bio", bio), ("image", image)):
        if not isinstance(value, Unset):
            value = _blank_to_none(value)
            if value != getattr(user, name):
                changes[name] = value
    _ensure_available(
        username=changes.get("username"), email=changes.get("email"), exclude_pk=user.pk
    )
    if not isinstance(password, Unset):
        _require(password, "password")
        # A new hash (new salt) is stored even for the same password, so it counts as a change.
        changes["password"] = None
    if not changes:
        return user

    for name, value in changes.items():
        if name == "password":
            user.set_password(password)
        else:
            setattr(user, name, value)
    changed_fields = tuple(changes)
    try:
        with transaction.atomic():
            user.save(update_fields=list(changed_fields))
            bus.publish(UserProfileUpdated(user_id=user.pk, changed_fields=changed_fields))
    except IntegrityError:
        user.refresh_from_db()
        _ensure_available(
            username=changes.get("username"), email=changes.get("email"), exclude_pk=user.pk
        )
        raise
    return user


def user_follow(*, follower: User, followed: User) -> bool:
    """`follower` follows `followed`; True when that is new. Following yourself is Invalid."""
    if follower.pk == followed.pk:
        raise Invalid("profile", "cannot follow yourself")
    with transaction.atomic():
        # get_or_create catches the IntegrityError of a concurrent twin and fetches its row.
        _, created = Follow.objects.get_or_create(follower=follower, followed=followed)
        if created:
            bus.publish(UserFollowed(follower_id=follower.pk, followed_id=followed.pk))
    return created


def user_unfollow(*, follower: User, followed: User) -> bool:
    """`follower` no longer follows `followed`; True when there was a follow to remove."""
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(follower=follower, followed=followed).delete()
        if deleted:
            bus.publish(UserUnfollowed(follower_id=follower.pk, followed_id=followed.pk))
    return bool(deleted)


def _blank_to_none(value: str | None) -> str | None:
    # RealWorld: bio and image are null or a real value, never "".
    if value is None or not value.strip():
        return None
    return value.strip()


def _require(value: object, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(field, "can't be blank")


def _clean_username(username: object) -> str:
    _require(username, "username")
    username = normalize_username(str(username))
    if not is_valid_username(username):
        raise Invalid("username", "is invalid")
    return username


def _clean_email(email: object) -> str:
    _require(email, "email")
    email = normalize_email(str(email))
    if not is_valid_email(email):
        raise Invalid("email", "is invalid")
    return email


def _ensure_available(
    *, username: str | None, email: str | None, exclude_pk: int | None = None
) -> None:
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk is not None else User.objects
    if username is not None and others.filter(username=username).exists():
        raise Conflict("username")
    # Emails are stored lower-cased, so an exact match is a case-insensitive one.
    if email is not None and others.filter(email=email).exists():
        raise Conflict("email")
