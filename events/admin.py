from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.tasks import TaskResultStatus

from events.models import Delivery, EventRecord
from events.ops.redelivery import deliveries_retry
from events.outbox import DELIVER_TASK_PATH


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(EventRecord)
class EventRecordAdmin(ReadOnlyAdmin):
    """The audit trail: searchable by event, aggregate, request and cause; never editable."""

    list_display = [
        "occurred_at",
        "type",
        "aggregate_type",
        "aggregate_id",
        "actor_id",
        "request_id",
    ]
    list_filter = ["type", "aggregate_type"]
    search_fields = ["=event_id", "=aggregate_id", "=request_id", "=causation_id"]
    date_hierarchy = "occurred_at"
    ordering = ["-occurred_at"]
    show_full_result_count = False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["enqueued_at", "status", "handler", "event_id", "attempts", "run_after"]
    list_filter = ["status"]
    readonly_fields = ["exception_class_path", "traceback"]
    ordering = ["-enqueued_at"]
    actions = ["retry"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).filter(task_path=DELIVER_TASK_PATH)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    @admin.action(description="Retry the selected failed deliveries", permissions=["view"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = deliveries_retry(queryset.filter(status=TaskResultStatus.FAILED))
        self.message_user(
            request, f"{count} deliveries handed back to the worker.", messages.SUCCESS
        )
