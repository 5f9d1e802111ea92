"""Admin for users and follows. Changes that are facts (a registration, a new email, an
unfollow) go through users.services, so they publish their events like the API does."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    BaseUserCreationForm,
    UserChangeForm,
)
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from conduit.admin import DeletesThroughServiceMixin
from users.models import Follow, User
from users.services import (
    follows_delete,
    user_access_update,
    user_delete,
    user_register,
    user_set_active,
    user_unfollow,
    user_update,
    users_delete,
    users_set_active,
)
from users.validators import (
    is_valid_username,
    mixes_lookalike_scripts,
    normalize_email,
    normalize_username,
    username_key,
)

# Changed through user_update (which publishes UserProfileUpdated), not by the admin's save.
PROFILE_FIELDS = ("email", "username", "bio", "image")
# Changed through user_access_update (which publishes UserAccessChanged).
ACCESS_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class _ProfileFieldsMixin:
    """The service's rules, as form errors instead of exceptions."""

    def clean_username(self) -> str:
        username = normalize_username(self.cleaned_data["username"])
        if not is_valid_username(username):
            raise forms.ValidationError("Letters, digits, '.', '_' and '-' only.")
        if mixes_lookalike_scripts(username):
            raise forms.ValidationError("Can't mix Latin letters with Cyrillic or Greek ones.")
        others = User.objects.exclude(pk=self.instance.pk) if self.instance.pk else User.objects
        if others.filter(username_key=username_key(username)).exists():
            raise forms.ValidationError(
                "A user with that username already exists (letter case and look-alike "
                "letters aside)."
            )
        return username

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class UserAdminCreationForm(_ProfileFieldsMixin, BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "username")


class UserAdminChangeForm(_ProfileFieldsMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserAdminPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" form, saved through user_update so the change is
    announced. It always sets a password: an account switched to "no password" would be a
    state no service knows."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = self.fields["password2"].required = True

    def save(self, commit: bool = True) -> User:
        return user_update(user=self.user, password=self.cleaned_data["password1"])


@admin.register(User)
class UserAdmin(DeletesThroughServiceMixin, DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    change_password_form = UserAdminPasswordChangeForm
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        ("Profile", {"fields": ("bio", "image")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")},
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "email", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email")
    ordering = ("username",)

    actions = ["deactivate_accounts", "reactivate_accounts"]

    # Every change is a fact some receiver cares about, so each goes through users.services:
    # profile fields through user_update, is_active through user_set_active, the staff flags,
    # groups and permissions through user_access_update, the password through the password
    # form below, and deleting through user_delete. Nothing is saved by the ModelForm itself.
    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> User:
        if change:
            return form.instance
        data = form.cleaned_data
        return user_register(
            username=data["username"], email=data["email"], password=data["password1"]
        )

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool):
        if not change:
            return  # user_register has saved it
        data, changed = form.cleaned_data, set(form.changed_data)
        # The form has written the new values onto obj; the services compare against the
        # stored ones.
        obj.refresh_from_db()
        profile = {name: data[name] for name in PROFILE_FIELDS if name in changed}
        if profile:
            user_update(user=obj, **profile)
        if "is_active" in changed:
            user_set_active(user=obj, active=data["is_active"])
        access = {name: data[name] for name in ACCESS_FIELDS if name in changed}
        if access:
            user_access_update(user=obj, **access)

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        """Groups and permissions were saved by save_model, through the service."""

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users_delete(users=queryset.order_by("pk"))

    @admin.action(description="Deactivate the selected accounts")
    def deactivate_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(description="Reactivate the selected accounts")
    def reactivate_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_active(request, queryset, active=True)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[User], *, active: bool):
        changed = users_set_active(users=queryset.order_by("pk"), active=active)
        verb = "reactivated" if active else "deactivated"
        self.message_user(request, f"{changed} accounts {verb}.", messages.SUCCESS)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Read-only: a group's permissions are what its members may do, so groups are defined by
    data migrations (reviewed, repeatable), never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    """Read and remove only: follows are made by users; removal is an unfollow."""

    list_display = ("follower", "followed", "created_at")
    list_select_related = ("follower", "followed")
    search_fields = ("follower__username", "followed__username")
    raw_id_fields = ("follower", "followed")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Follow | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Follow) -> None:
        user_unfollow(follower=obj.follower, followed=obj.followed)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Follow]) -> None:
        follows_delete(follows=queryset.select_related("follower", "followed").order_by("pk"))
