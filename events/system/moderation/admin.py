"""The review queue: flagged articles and comments, with what a moderator decides on (a
preview, the reasons, the flags, the spam score, the author, the age), and the Approve and
Remove actions, which go through events.system.moderation.services (one event per item, and
a BulkOperationCompleted for several). The same two actions are an item's own page's buttons
(Django's change-form actions; the buttons are drawn by
templates/admin/moderation/moderationitem/change_form_actions.html). Nothing here is edited
by hand."""

from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timesince import timesince

from events.system.moderation.models import PENDING, Flag, ModerationItem, Reason, Source, State
from events.system.moderation.selectors import review_queue
from events.system.moderation.services import content_review_many

PREVIEW_LENGTH = 120
EFFECTS = {
    "approve": "visible again, its flags resolved",
    "remove": "hidden for good, its flags resolved",
}
# The queue's action menu and an item's own page.
BOTH = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


class StateFilter(admin.SimpleListFilter):
    """The queue opens on what waits for a decision (flagged or hidden pending review)."""

    title = "state"
    parameter_name = "state"
    DEFAULT = "pending"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(self.DEFAULT, "pending review"), *State.choices, ("all", "all")]

    def choices(self, changelist):
        selected = self.value() or self.DEFAULT
        for lookup, title in self.lookup_choices:
            yield {
                "selected": selected == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value() or self.DEFAULT
        if value == self.DEFAULT:
            return queryset.filter(state__in=PENDING)
        if value == "all":
            return queryset
        return queryset.filter(state=value)


class _FlagFilter(admin.SimpleListFilter):
    """Items with at least one flag whose `field` is the chosen value (one row per item)."""

    field = ""
    options: list = []

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return self.options

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() is None:
            return queryset
        flags = Flag.objects.filter(item=OuterRef("pk"), **{self.field: self.value()})
        return queryset.filter(Exists(flags))


class ReasonFilter(_FlagFilter):
    title = "reason"
    parameter_name = "reason"
    field = "reason"
    options = Reason.choices


class SourceFilter(_FlagFilter):
    title = "source"
    parameter_name = "source"
    field = "source"
    options = Source.choices


class FlagInline(admin.TabularInline):
    model = Flag
    extra = 0
    fields = ["created_at", "source", "flagger", "reason", "note", "resolved_at"]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Flag]:
        return super().get_queryset(request).select_related("flagger")

    def has_add_permission(self, request: HttpRequest, obj: ModerationItem | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ModerationItem)
class ModerationItemAdmin(admin.ModelAdmin):
    list_display = [
        "preview",
        "kind",
        "state",
        "reasons",
        "flags",
        "spam_score",
        "author",
        "age",
    ]
    list_filter = [StateFilter, ReasonFilter, SourceFilter]
    search_fields = ["author__username", "article__slug", "article__title"]
    ordering = ["-created_at", "-id"]
    actions = ["approve", "remove"]
    fields = [
        "kind",
        "state",
        "author",
        "content",
        "spam_score",
        "spam_verdict",
        "created_at",
        "reviewed_at",
        "reviewed_by",
        "audit_trail",
    ]
    readonly_fields = fields
    inlines = [FlagInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModerationItem]:
        per_reason = {
            f"{reason}_flags": Count("flags", filter=Q(flags__reason=reason))
            for reason in Reason.values
        }
        return review_queue().annotate(**per_reason)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        return super().changelist_view(request, {"title": "Review queue", **(extra_context or {})})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.moderate_content")

    @admin.display(description="content")
    def preview(self, item: ModerationItem) -> str:
        if item.comment_id:
            return _shorten(item.comment.body)
        return _shorten(f"{item.article.title}: {item.article.description}")

    @admin.display(description="kind")
    def kind(self, item: ModerationItem) -> str:
        if item.comment_id:
            return f"comment on {item.article.slug}"
        return f"article {item.article.slug}"

    @admin.display(description="reasons")
    def reasons(self, item: ModerationItem) -> str:
        counted = [
            f"{reason} ({count})"
            for reason in Reason.values
            if (count := getattr(item, f"{reason}_flags", 0))
        ]
        return ", ".join([*counted, *item.spam_reasons]) or "-"

    @admin.display(description="flags", ordering="flags_count")
    def flags(self, item: ModerationItem) -> str:
        return f"{item.flags_count} ({item.open_flags_count} open)"

    @admin.display(description="age", ordering="created_at")
    def age(self, item: ModerationItem) -> str:
        return timesince(item.created_at)

    @admin.display(description="text")
    def content(self, item: ModerationItem) -> str:
        if item.comment_id:
            return item.comment.body
        article = item.article
        return f"{article.title}\n\n{article.description}\n\n{article.body}"

    @admin.display(description="spam reasons")
    def spam_verdict(self, item: ModerationItem) -> str:
        return ", ".join(item.spam_reasons) or "-"

    @admin.display(description="audit trail")
    def audit_trail(self, item: ModerationItem) -> str:
        url = reverse("admin:events_eventrecord_changelist")
        return format_html(
            '<a href="{}?aggregate_type=moderation_item&amp;aggregate_id={}">'
            "this item's moderation events</a>",
            url,
            item.pk,
        )

    @admin.action(
        description="Approve: visible again, flags resolved",
        permissions=["moderate"],
        location=BOTH,
    )
    def approve(self, request: HttpRequest, queryset: QuerySet[ModerationItem]) -> None:
        self._review(request, queryset, "approve")

    @admin.action(
        description="Remove: hidden for good, flags resolved",
        permissions=["moderate"],
        location=BOTH,
    )
    def remove(self, request: HttpRequest, queryset: QuerySet[ModerationItem]) -> None:
        self._review(request, queryset, "remove")

    def _review(self, request: HttpRequest, queryset: QuerySet, decision: str) -> None:
        items = list(queryset.order_by("pk"))
        counts = content_review_many(items=items, moderator=request.user, decision=decision)
        done = "approved" if decision == "approve" else "removed"
        message = (
            f"{counts['changed']} of {counts['selected']} items {done} "
            f"({counts['unchanged']} already were, {counts['gone']} deleted meanwhile)."
        )
        if len(items) == 1:  # an item's own page, or one row ticked
            item = capfirst(str(items[0]))
            message = {
                "changed": f"{item} {done}: {EFFECTS[decision]}.",
                "unchanged": f"{item} was already {done}: nothing changed.",
                "gone": f"{item} was deleted meanwhile: nothing changed.",
            }[next(outcome for outcome in ("changed", "unchanged", "gone") if counts[outcome])]
        self.message_user(request, message, messages.SUCCESS)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_LENGTH else f"{text[: PREVIEW_LENGTH - 1]}…"
