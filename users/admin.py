"""Admin for users and follows. Changes that are facts (a registration, a new email, an
unfollow) go through users.services, so they publish their events like the API does."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from conduit.readcache import invalidate_read_cache
from users.models import Follow, User
from users.services import user_register, user_unfollow, user_update
from users.validators import is_valid_username, normalize_email, normalize_username

# Changed through user_update (which publishes UserProfileUpdated), not by the admin's save.
PROFILE_FIELDS = ("email", "username", "bio", "image")


class _ProfileFieldsMixin:
    """The service's rules, as form errors instead of exceptions."""

    def clean_username(self) -> str:
        username = normalize_username(self.cleaned_data["username"])
        if not is_valid_username(username):
            raise forms.ValidationError("Letters, digits, '.', '_' and '-' only.")
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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
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

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> User:
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        return user_register(
            username=data["username"], email=data["email"], password=data["password1"]
        )

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool):
        if not change:
            return  # user_register has saved it
        changes = {name: form.cleaned_data[name] for name in PROFILE_FIELDS}
        changes = {name: value for name, value in changes.items() if name in form.changed_data}
        for name in changes:
            setattr(obj, name, form.initial.get(name))
        super().save_model(request, obj, form, change)
        if changes:
            user_update(user=obj, **changes)
        if set(form.changed_data) - set(changes):
            # Account flags (is_active, ...) publish no event: forget the cached token users
            # so that a deactivation takes effect at once.
            invalidate_read_cache()

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        if change:  # the creation form has no relations, and was never saved itself
            super().save_related(request, form, formsets, change)


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
        for follow in queryset.select_related("follower", "followed"):
            user_unfollow(follower=follow.follower, followed=follow.followed)
