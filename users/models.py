from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from users.validators import username_key


class UserManager(BaseUserManager):
    """For `createsuperuser` and the admin; the API registers users through users.services."""

    def create_user(self, email: str, username: str, password: str | None = None, **extra):
        user = self.model(email=email.strip().lower(), username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def bulk_create(self, objs, *args: Any, **kwargs: Any) -> list:
        """Keep `username_key` with the username, as save() does."""
        objs = list(objs)
        for user in objs:
            user.username_key = username_key(user.username)
        return super().bulk_create(objs, *args, **kwargs)

    def create_superuser(self, email: str, username: str, password: str | None = None, **extra):
        extra |= {"is_staff": True, "is_superuser": True}
        return self.create_user(email, username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    # Unique through `username_key` (a name equal to another has its key).
    username = models.CharField(max_length=150, db_index=True)
    # users.validators.username_key(username), kept by save() and bulk_create(): two names
    # with one key (by letter case, NFKC or Cyrillic and Greek look-alikes) cannot coexist. A
    # violation is reported as the username's (conduit/constraints.py, `reported_as`).
    username_key = models.CharField(max_length=150, editable=False)
    # Stored lower-cased by the services; the functional index also rejects case-only twins.
    email = models.EmailField(max_length=254, unique=True)
    bio = models.TextField(null=True, blank=True)  # noqa: DJ001 - RealWorld: null, never ""
    image = models.URLField(max_length=2000, null=True, blank=True)  # noqa: DJ001
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Every token carries the version it was issued at; a new password moves it on
    # (users.services.user_update), so tokens issued before the change are refused
    # (conduit/auth.py). A counter, not a time: two changes within one second, or a token
    # issued in the same second as the change, are told apart exactly.
    token_version = models.PositiveIntegerField(default=0, editable=False)
    # The id (`jti`) of the token the password was last changed through, which keeps working
    # like the session that changes a password on most sites (PASSWORD_CHANGE_KEEPS_TOKEN),
    # bound to that password (conduit.auth.kept_token_id): a later password change by any
    # path voids it. "" when the change came through no token (the admin, `changepassword`)
    # or the setting is off.
    password_token_id = models.CharField(max_length=80, blank=True, default="", editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(fields=["username_key"], name="user_username_key_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep `username_key` with the username, whatever path saves it."""
        self.username_key = username_key(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, *args: Any, **kwargs: Any) -> "User":
        """Remember the email as loaded, so that a save can tell it changed, whatever path
        saved it (`email_as_loaded`)."""
        instance = super().from_db(*args, **kwargs)
        if "email" in instance.__dict__:  # loaded, not deferred
            instance._loaded_email = instance.email
        return instance

    def email_as_loaded(self) -> str | None:
        """The email this instance was loaded with (None when it was not loaded)."""
        return getattr(self, "_loaded_email", None)

    def email_saved(self) -> None:
        """The current email is the stored one from now on."""
        self._loaded_email = self.email


User._meta.get_field("username_key").reported_as = "username"


class Follow(models.Model):
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_links")
    followed = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followed"], name="follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followed")), name="follow_not_self"
            ),
        ]
        indexes = [models.Index(fields=["followed", "follower"], name="follow_followed")]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followed_id}"


class WelcomeEmail(models.Model):
    """The welcome email went to this account (users.emails.send_welcome_email); the primary
    key makes it once per account, whatever redelivers or replays its UserRegistered."""

    user = models.OneToOneField(
        User, primary_key=True, on_delete=models.CASCADE, related_name="welcome_email"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"welcome email to {self.user_id}"
