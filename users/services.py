"""Writes for users, logins and follows. The only place that publishes users' events."""

from collections.abc import Iterable
from typing import Final
from uuid import uuid4

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from conduit.auth import kept_token_id
from conduit.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    InvalidCredentials,
    NotFound,
)
from conduit.inserts import insert_new
from events import bus
from events.core.operations import bulk_apply, bulk_operation
from events.core.unit_of_work import unit_of_work
from users.events import (
    UserAccessChanged,
    UserAnonymised,
    UserDeactivated,
    UserDeleted,
    UserFollowed,
    UserLoggedIn,
    UserProfileUpdated,
    UserReactivated,
    UserRegistered,
    UserUnfollowed,
)
from users.models import Follow, User
from users.signals import (
    account_anonymising,
    account_removing,
    login_attempted,
    login_checking,
)
from users.validators import (
    MIXED_SCRIPTS,
    is_valid_email,
    is_valid_username,
    mixes_lookalike_scripts,
    normalize_email,
    normalize_username,
    password_problem,
    username_key,
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
    _check_password(password)
    _ensure_available(username=username, email=email)
    user = User(username=username, email=email)
    user.set_password(password)
    try:
        with unit_of_work():
            user.save(force_insert=True)
            bus.publish(UserRegistered(user_id=user.pk, username=user.username, email=user.email))
    except IntegrityError:
        # Someone took the name between our check and our insert: the unique index decides.
        _ensure_available(username=username, email=email)
        raise
    return user


def user_login(*, email: str, password: str, client_ip: str = "", user_agent: str = "") -> User:
    """The active user with this email and password; InvalidCredentials (401) otherwise, or
    the refusal an app above answered (a locked email's 429). One transaction: the apps above
    decide and record their part in it (`login_checking` before the password is checked,
    `login_attempted` after; users/signals.py), so that what they fail to record fails the
    login instead of letting it through. An unknown email costs a password hash like a known
    one, and is answered alike."""
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    attempt = {"email": email, "user": user, "client_ip": client_ip, "user_agent": user_agent}
    failure: Exception | None = None
    with unit_of_work():
        refusal = _login_refusal(email=email, user=user, client_ip=client_ip)
        if refusal is not None:
            outcome = "refused"
        else:
            if user is None:
                _spend_a_password_hash(password)
            ok = user is not None and user.check_password(password) and user.is_active
            outcome = "succeeded" if ok else "failed"
        if outcome == "succeeded":
            user.last_login = timezone.now()
            user.save(update_fields=["last_login"])
            bus.publish(UserLoggedIn(user_id=user.pk, username=user.username))
        answers = login_attempted.send(sender=User, outcome=outcome, refusal=refusal, **attempt)
        failure = next((answer for _, answer in answers if isinstance(answer, Exception)), None)
        if failure is not None and outcome == "succeeded":
            # What must be recorded with a success was not: no login (the rollback).
            raise failure
    if failure is not None:
        raise failure  # the attempt is recorded (committed), the login still fails
    if refusal is not None:
        raise refusal
    if outcome == "failed":
        raise InvalidCredentials()
    return user


def _spend_a_password_hash(password: str) -> None:
    """Hash the password anyway, so that an unknown email takes as long to refuse as a
    wrong password (as Django's ModelBackend does)."""
    make_password(password)


def _login_refusal(*, email: str, user: User | None, client_ip: str) -> DomainError | None:
    """The first DomainError a `login_checking` receiver answered with, if any."""
    answers = login_checking.send(sender=User, email=email, user=user, client_ip=client_ip)
    for _receiver, answer in answers:
        if isinstance(answer, DomainError):
            return answer
    return None


def user_update(
    *,
    user: User,
    email: str | Unset = UNSET,
    username: str | Unset = UNSET,
    password: str | Unset = UNSET,
    bio: str | Unset | None = UNSET,
    image: str | Unset | None = UNSET,
    through_token: str = "",
) -> User:
    """Change any subset of the fields; "" clears bio and image. Publishes UserProfileUpdated
    with the names of the fields that actually changed, and nothing when none did. A new
    password ends every token issued before it, except the one the change came through
    (`through_token`, its id) while PASSWORD_CHANGE_KEEPS_TOKEN is on."""
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
        _check_password(password)
        # A new hash (new salt) is stored even for the same password, so it counts as a change.
        changes["password"] = None
    if not changes:
        return user

    saved_fields = list(changes)
    for name, value in changes.items():
        if name == "password":
            user.set_password(password)
            # Tokens issued before the new password are refused from now on (conduit/auth.py),
            # but the one the change came through; in the same transaction as the password, so
            # no request sees one without the other.
            user.token_version += 1
            keep = through_token if settings.PASSWORD_CHANGE_KEEPS_TOKEN else ""
            user.password_token_id = kept_token_id(keep, user)
            saved_fields += ["token_version", "password_token_id"]
        else:
            setattr(user, name, value)
    changed_fields = tuple(changes)
    try:
        with unit_of_work():
            user.save(update_fields=saved_fields)
            bus.publish(UserProfileUpdated(user_id=user.pk, changed_fields=changed_fields))
    except IntegrityError:
        user.refresh_from_db()
        _ensure_available(
            username=changes.get("username"), email=changes.get("email"), exclude_pk=user.pk
        )
        raise
    return user


def user_follow(*, follower: User, followed: User) -> bool:
    """`follower` follows `followed`; True when that is new. Following yourself is Forbidden
    (403: a valid request this caller may not make, which no schema can rule out)."""
    if follower.pk == followed.pk:
        raise Forbidden("profile", "cannot follow yourself")
    with unit_of_work():
        # The unique (follower, followed) index settles a concurrent twin (conduit/inserts.py).
        created = bool(insert_new([Follow(follower=follower, followed=followed)]))
        if created:
            bus.publish(UserFollowed(follower_id=follower.pk, followed_id=followed.pk))
    return created


def user_unfollow(*, follower: User, followed: User) -> bool:
    """`follower` no longer follows `followed`; True when there was a follow to remove."""
    with unit_of_work():
        deleted, _ = Follow.objects.filter(follower=follower, followed=followed).delete()
        if deleted:
            bus.publish(UserUnfollowed(follower_id=follower.pk, followed_id=followed.pk))
    return bool(deleted)


@unit_of_work
def user_set_active(*, user: User, active: bool) -> User:
    """Deactivate an account (its tokens are refused from the next request on, it cannot log
    in) or reactivate it; a repeat changes nothing."""
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    bus.publish(UserReactivated(user_id=user.pk) if active else UserDeactivated(user_id=user.pk))
    return user


@unit_of_work
def user_access_update(
    *,
    user: User,
    is_staff: bool | Unset = UNSET,
    is_superuser: bool | Unset = UNSET,
    groups: Iterable[Group] | Unset = UNSET,
    user_permissions: Iterable[Permission] | Unset = UNSET,
) -> User:
    """Change what an account may do in the admin; publishes UserAccessChanged naming the
    fields that actually changed, and nothing when none did."""
    changed: list[str] = []
    for name, value in (("is_staff", is_staff), ("is_superuser", is_superuser)):
        if not isinstance(value, Unset) and value != getattr(user, name):
            setattr(user, name, value)
            changed.append(name)
    if changed:
        user.save(update_fields=changed)
    for name, values in (("groups", groups), ("user_permissions", user_permissions)):
        if isinstance(values, Unset):
            continue
        related = getattr(user, name)
        wanted = {item.pk for item in values}
        if wanted != set(related.values_list("pk", flat=True)):
            related.set(wanted)
            changed.append(name)
    if changed:
        bus.publish(UserAccessChanged(user_id=user.pk, changed_fields=tuple(changed)))
    return user


def _locked_and_unfollowed(user: User) -> User:
    """The account's row, locked (NotFound when it is gone), with every follow from or to it
    undone through user_unfollow: what removing and anonymising an account begin with."""
    locked = User.objects.select_for_update().filter(pk=user.pk).first()
    if locked is None:
        raise NotFound("profile")
    follows = Follow.objects.filter(Q(follower=locked) | Q(followed=locked)).select_related(
        "follower", "followed"
    )
    for follow in follows.order_by("pk"):
        user_unfollow(follower=follow.follower, followed=follow.followed)
    return locked


@unit_of_work
def user_delete(*, user: User) -> None:
    """Remove an account and everything it owns, each removal through its own service: its
    follows here, its favorites, articles and comments in the apps that own them (through
    `account_removing`), so every counter stays exact and every removal is announced."""
    locked = _locked_and_unfollowed(user)
    account_removing.send(sender=User, user=locked)
    user_id = locked.pk
    locked.delete()
    bus.publish(UserDeleted(user_id=user_id))


def anonymous_username(user_id: int) -> str:
    return f"deleted-{user_id}"


def anonymous_email(user_id: int) -> str:
    # .invalid is reserved (RFC 2606): no mail can ever go there.
    return f"deleted-{user_id}@anonymised.invalid"


def user_is_anonymised(user: User) -> bool:
    return user.email == anonymous_email(user.pk)


@unit_of_work
def user_anonymise(*, user: User) -> bool:
    """Forget who owns an account but keep what they wrote: their follows are undone here and
    their favorites taken back by articles (through `account_anonymising`), each through its
    service; the account keeps its articles and comments under the name "deleted-<id>", and
    loses its email (a reserved address), bio, image, password, access, last login and
    tokens. True when the account changed (UserAnonymised); a repeat changes nothing."""
    locked = _locked_and_unfollowed(user)
    account_anonymising.send(sender=User, user=locked)
    if user_is_anonymised(locked):
        return False
    username = anonymous_username(locked.pk)
    if User.objects.filter(username=username).exclude(pk=locked.pk).exists():
        username = f"{username}-{uuid4().hex[:8]}"  # someone registered the name meanwhile
    locked.username, locked.email = username, anonymous_email(locked.pk)
    locked.bio = locked.image = locked.last_login = None
    locked.is_active = locked.is_staff = locked.is_superuser = False
    locked.set_unusable_password()
    locked.token_version += 1
    locked.save()
    locked.groups.clear()
    locked.user_permissions.clear()
    bus.publish(UserAnonymised(user_id=locked.pk))
    return True


@unit_of_work
def users_delete(*, users: Iterable[User]) -> int:
    """Remove several accounts (the admin's "delete selected"), each through user_delete, as
    one bulk operation; one removed meanwhile is skipped. Returns how many were removed."""
    return bulk_apply("users.delete", users, lambda user: user_delete(user=user), gone=NotFound)


@unit_of_work
def users_set_active(*, users: Iterable[User], active: bool) -> int:
    """Deactivate (or reactivate) several accounts through user_set_active, as one bulk
    operation; those already so are skipped. Returns how many changed."""
    with bulk_operation("users.reactivate" if active else "users.deactivate") as operation:
        for user in users:
            if user.is_active == active:
                operation.skip()
                continue
            user_set_active(user=user, active=active)
            operation.done()
    return operation.succeeded


@unit_of_work
def follows_delete(*, follows: Iterable[Follow]) -> int:
    """Undo several follows through user_unfollow, as one bulk operation; returns how many
    were still there to undo."""
    with bulk_operation("follows.delete") as operation:
        for follow in follows:
            if user_unfollow(follower=follow.follower, followed=follow.followed):
                operation.done()
            else:
                operation.skip()
    return operation.succeeded


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
    if mixes_lookalike_scripts(username):
        raise Invalid("username", MIXED_SCRIPTS)
    return username


def _clean_email(email: object) -> str:
    _require(email, "email")
    email = normalize_email(str(email))
    if not is_valid_email(email):
        raise Invalid("email", "is invalid")
    return email


def _check_password(password: object) -> None:
    # Here, not in the serializers, so that every way in (API, admin, commands) follows it.
    _require(password, "password")
    problem = password_problem(str(password))
    if problem is not None:
        raise Invalid("password", problem)


def _ensure_available(
    *, username: str | None, email: str | None, exclude_pk: int | None = None
) -> None:
    """Conflict (409) when another account holds the username or the email; one query for
    both (each is unique, so at most two accounts hold them)."""
    wanted = Q()
    key = username_key(username) if username is not None else None
    if key is not None:
        # Taken without regard to case, NFKC and look-alikes (users.validators.username_key).
        wanted |= Q(username_key=key)
    # Emails are stored lower-cased, so an exact match is a case-insensitive one.
    if email is not None:
        wanted |= Q(email=email)
    if not wanted:
        return
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk is not None else User.objects
    taken = list(others.filter(wanted).order_by().values_list("username_key", flat=True)[:2])
    if key is not None and key in taken:
        raise Conflict("username")
    if taken:
        raise Conflict("email")
