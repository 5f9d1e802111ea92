"""The audit trail and the event deliveries, for operators: read, filter, search, follow a
record to the rest of its request and to its cause; retry failed deliveries."""

import json

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.http import HttpRequest
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timezone import localtime

from events.core import bus as event_bus
from events.core.event import event_types
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


class EventTypeFilter(admin.SimpleListFilter):
    """By type, listed from the registry rather than by a DISTINCT over the whole trail."""

    title = "event type"
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(name, name) for name in sorted(event_types())]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(type=self.value()) if self.value() else queryset


class CategoryFilter(admin.SimpleListFilter):
    """By category ("domain", "security", "moderation", ...): the category is the event
    class's, so it filters on the types that have it."""

    title = "category"
    parameter_name = "category"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        categories = sorted({cls.category for cls in event_types().values()})
        return [(category, category) for category in categories]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        names = [name for name, cls in event_types().items() if cls.category == self.value()]
        return queryset.filter(type__in=names)


@admin.register(EventRecord)
class EventRecordAdmin(ReadOnlyAdmin):
    """The audit trail: filtered by type, category and date; searched by aggregate id, actor
    (id or username), request id, event id or cause; each record links to the other records
    of its request, to its cause, to what it caused and to its actor. Never editable.

    The list fits a 1400-pixel window beside the filters: a compact time, the actor by name,
    and the request and cause shortened (in full on hover and on the record's page)."""

    list_display = ["when", "event", "actor", "aggregate", "same_request_short", "cause_short"]
    list_filter = [
        CategoryFilter,
        EventTypeFilter,
        ("occurred_at", admin.DateFieldListFilter),
        "aggregate_type",
    ]
    # Exact lookups, so each search uses its index (a term that is no UUID or integer skips
    # those fields); a username is searched as the actor in get_search_results.
    search_fields = [
        "event_id__exact",
        "aggregate_id__exact",
        "request_id__exact",
        "causation_id__exact",
        "actor_id__exact",
    ]
    date_hierarchy = "occurred_at"
    ordering = ["-occurred_at"]
    show_full_result_count = False
    fields = [
        "event_id",
        "type",
        "category",
        "version",
        "occurred_at",
        "aggregate_type",
        "aggregate_id",
        "actor",
        "same_request",
        "cause",
        "effects",
        "payload_shown",
    ]
    readonly_fields = fields
    # The links below filter the list by these, which list_filter does not name.
    LINK_LOOKUPS = ("request_id", "causation_id", "aggregate_id", "event_id")
    # How much of a request id or an event id the list shows, and of an aggregate's id.
    SHORT, LONG = 8, 20

    def get_queryset(self, request: HttpRequest) -> QuerySet[EventRecord]:
        """Each record with its actor's username and whether staff may open the actor's page
        (one subquery per listed row, no query of its own)."""
        users = get_user_model()
        username = users.objects.filter(pk=OuterRef("actor_id")).values("username")[:1]
        may_open = request.user.has_perm(f"{users._meta.app_label}.view_{users._meta.model_name}")
        return (
            super()
            .get_queryset(request)
            .annotate(actor_name=Subquery(username), actor_linked=Value(may_open))
        )

    def changelist_view(self, request: HttpRequest, extra_context=None):
        return super().changelist_view(request, {"title": "Audit trail", **(extra_context or {})})

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        return lookup in self.LINK_LOOKUPS or super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            actors = get_user_model().objects.filter(username=term).values("pk")
            results = results | queryset.filter(Q(actor_id__in=actors))
        return results, duplicates

    @admin.display(description="time", ordering="occurred_at")
    def when(self, record: EventRecord) -> str:
        return format_html(
            '<time datetime="{}">{}</time>',
            record.occurred_at.isoformat(),
            localtime(record.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
        )

    @admin.display(description="event", ordering="type")
    def event(self, record: EventRecord) -> str:
        """The type, with the category on hover; it may break after its module."""
        cls = event_types().get(record.type)
        module, _, name = record.type.rpartition(".")
        return format_html(
            '<span title="category: {}">{}.<wbr>{}</span>',
            cls.category if cls else "?",
            module,
            name,
        )

    @admin.display(description="category")
    def category(self, record: EventRecord) -> str:
        cls = event_types().get(record.type)
        return cls.category if cls else "?"

    @admin.display(description="actor", ordering="actor_id")
    def actor(self, record: EventRecord) -> str:
        """By username, linked to the user's admin page for staff who may open it."""
        if record.actor_id is None:
            return "-"
        name = getattr(record, "actor_name", None)
        if name is None:  # deleted since (or a record built by hand)
            return f"user {record.actor_id} (deleted)"
        if not getattr(record, "actor_linked", False):
            return name
        opts = get_user_model()._meta
        return format_html(
            '<a href="{}">{}</a>',
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.actor_id]),
            name,
        )

    @admin.display(description="aggregate")
    def aggregate(self, record: EventRecord) -> str:
        """Its type and id, kept on one line (a long id, a tag's name, shortened)."""
        if not record.aggregate_type:
            return "-"
        return format_html(
            '<a href="{}?aggregate_type={}&amp;aggregate_id={}" title="every record of {} {}">'
            "{}\u00a0{}</a>",
            reverse("admin:events_eventrecord_changelist"),
            record.aggregate_type,
            record.aggregate_id,
            record.aggregate_type,
            record.aggregate_id,
            record.aggregate_type,
            self._shown(record.aggregate_id, short=True, length=self.LONG),
        )

    @admin.display(description="request")
    def same_request(self, record: EventRecord) -> str:
        return self._request_link(record, short=False)

    @admin.display(description="request")
    def same_request_short(self, record: EventRecord) -> str:
        return self._request_link(record, short=True)

    @admin.display(description="cause")
    def cause(self, record: EventRecord) -> str:
        return self._cause_link(record, short=False)

    @admin.display(description="cause")
    def cause_short(self, record: EventRecord) -> str:
        return self._cause_link(record, short=True)

    def _request_link(self, record: EventRecord, *, short: bool) -> str:
        if not record.request_id:
            return "-"
        return format_html(
            '<a href="{}?request_id={}" title="every record of request {}">{}</a>',
            reverse("admin:events_eventrecord_changelist"),
            record.request_id,
            record.request_id,
            self._shown(record.request_id, short),
        )

    def _cause_link(self, record: EventRecord, *, short: bool) -> str:
        if not record.causation_id:
            return "-"
        return format_html(
            '<a href="{}" title="the event whose handler published this one: {}">{}</a>',
            reverse("admin:events_eventrecord_change", args=[record.causation_id]),
            record.causation_id,
            self._shown(str(record.causation_id), short),
        )

    def _shown(self, identifier: str, short: bool, length: int = SHORT) -> str:
        if not short or len(identifier) <= length + 2:
            return identifier
        return f"{identifier[:length]}…"

    @admin.display(description="caused")
    def effects(self, record: EventRecord) -> str:
        return format_html(
            '<a href="{}?causation_id={}">the events its handlers published</a>',
            reverse("admin:events_eventrecord_changelist"),
            record.event_id,
        )

    @admin.display(description="payload")
    def payload_shown(self, record: EventRecord) -> str:
        text = json.dumps(record.payload, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html("<pre>{}</pre>", text)


class HandlerFilter(admin.SimpleListFilter):
    """By background handler: those subscribed now, from the bus (no query)."""

    title = "handler"
    parameter_name = "handler"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        bus = event_bus.shared_event_bus
        handlers = {
            path for cls in event_types().values() for path in bus.subscribers(cls)["background"]
        }
        return [(path, path) for path in sorted(handlers)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # A delivery's arguments are [event_id, handler] (events.outbox.deliver_event).
        return queryset.filter(args_kwargs__args__1=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Read with `events.view_delivery`, retried with `events.change_delivery` (superusers
    have both; a moderator neither)."""

    list_display = ["enqueued_at", "status", "handler", "event_id", "attempts", "run_after"]
    list_filter = ["status", HandlerFilter]
    readonly_fields = ["exception_class_path", "traceback"]
    ordering = ["-enqueued_at"]
    actions = ["retry"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).filter(task_path=DELIVER_TASK_PATH)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("events.change_delivery")

    @admin.action(description="Retry the selected failed deliveries", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = deliveries_retry(queryset.filter(status=TaskResultStatus.FAILED))
        self.message_user(
            request, f"{count} deliveries handed back to the worker.", messages.SUCCESS
        )
