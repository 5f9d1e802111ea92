"""The security records, for staff: read-only, except that a lock can be ended early (the
*Unlock* action, through events.system.security.services.account_unlock, which announces it)."""

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from events.system.security.models import (
    AccountLock,
    LoginAttempt,
    RateLimitHit,
    SuspiciousActivity,
)
from events.system.security.services import account_unlock


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: listed and searched, never written by hand."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClientIpFilter(admin.SimpleListFilter):
    """The addresses with the most attempts over the last day (any address by URL:
    `?client_ip=...`)."""

    title = "client address"
    parameter_name = "client_ip"
    shown = 20

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        busiest = (
            LoginAttempt.objects.filter(attempted_at__gte=timezone.now() - timedelta(days=1))
            .values("client_ip")
            .annotate(attempts=Count("pk"))
            .order_by("-attempts", "client_ip")[: self.shown]
        )
        return [(row["client_ip"], f"{row['client_ip']} ({row['attempts']})") for row in busiest]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(client_ip=self.value())
        return queryset


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyAdmin):
    list_display = ("attempted_at", "email", "user", "outcome", "client_ip", "user_agent")
    list_filter = ("outcome", ClientIpFilter, "attempted_at")
    list_select_related = ("user",)
    search_fields = ("email", "=client_ip")
    date_hierarchy = "attempted_at"
    ordering = ("-attempted_at",)


class LockStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("active", "Active"), ("past", "Past")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        active = {"unlocked_at__isnull": True, "locked_until__gt": timezone.now()}
        if self.value() == "active":
            return queryset.filter(**active)
        if self.value() == "past":
            return queryset.exclude(**active)
        return queryset


@admin.register(AccountLock)
class AccountLockAdmin(ReadOnlyAdmin):
    list_display = (
        "user",
        "locked_at",
        "locked_until",
        "state",
        "failures",
        "client_ip",
        "unlocked_at",
        "unlocked_by",
    )
    list_filter = (LockStateFilter, "locked_at")
    list_select_related = ("user", "unlocked_by")
    search_fields = ("user__username", "user__email", "=client_ip")
    date_hierarchy = "locked_at"
    ordering = ("-locked_at",)
    actions = ["unlock"]

    @admin.display(description="state")
    def state(self, lock: AccountLock) -> str:
        return "active" if lock.is_active(timezone.now()) else "past"

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("security.change_accountlock")

    @admin.action(description="Unlock the selected accounts", permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccountLock]) -> None:
        unlocked = sum(
            account_unlock(lock=lock, by=request.user) for lock in queryset.order_by("pk")
        )
        self.message_user(request, f"{unlocked} accounts unlocked.", messages.SUCCESS)


@admin.register(SuspiciousActivity)
class SuspiciousActivityAdmin(ReadOnlyAdmin):
    list_display = (
        "detected_at",
        "reason",
        "client_ip",
        "user",
        "accounts",
        "failures",
        "window_seconds",
    )
    list_filter = ("reason", "detected_at")
    list_select_related = ("user",)
    search_fields = ("=client_ip", "user__username")
    date_hierarchy = "detected_at"
    ordering = ("-detected_at",)


@admin.register(RateLimitHit)
class RateLimitHitAdmin(ReadOnlyAdmin):
    list_display = ("minute", "scope", "client", "client_ip", "user", "path", "rate")
    list_filter = ("scope", "minute")
    list_select_related = ("user",)
    search_fields = ("=client_ip", "path")
    date_hierarchy = "minute"
    ordering = ("-minute",)
