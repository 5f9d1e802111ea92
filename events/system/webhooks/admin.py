"""Webhook endpoints and their deliveries in the admin, for staff with the webhooks
permissions (moderators have none, and do not see them). Every change goes through
events.system.webhooks.services. A signing secret is shown once, on the page that answers the
creation or the rotation, and never again."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from events.system.webhooks import selectors, services
from events.system.webhooks.models import Delivery, Endpoint
from events.system.webhooks.safety import UnsafeURL


class EndpointForm(forms.ModelForm):
    url = forms.CharField(
        label="URL", max_length=2000, help_text="https:// and a public address (docs/webhooks.md)."
    )
    event_types = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The event catalog's audited types (docs/events.md).",
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "all_events", "event_types", "active", "include_personal"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = [
            (name, name) for name in selectors.subscribable_event_types()
        ]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            services.validate_url(url)
        except UnsafeURL as exc:
            raise ValidationError(str(exc)) from None
        return url

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("all_events") and not cleaned.get("event_types"):
            raise ValidationError("Choose event types, or all events.")
        return cleaned


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "description", "subscribed", "active", "state", "created_at"]
    list_filter = ["active"]
    readonly_fields = ["state", "recent_attempts"]
    actions = ["rotate_secret", "resume"]

    @admin.display(description="events")
    def subscribed(self, endpoint: Endpoint) -> str:
        return "all" if endpoint.all_events else ", ".join(endpoint.event_types)

    @admin.display(description="state")
    def state(self, endpoint: Endpoint) -> str:
        if endpoint.paused_at:
            return f"paused since {endpoint.paused_at:%Y-%m-%d %H:%M}"
        if endpoint.failing_since:
            return f"failing since {endpoint.failing_since:%Y-%m-%d %H:%M}"
        return "healthy" if endpoint.pk else "-"

    @admin.display(description="recent attempts")
    def recent_attempts(self, endpoint: Endpoint) -> str:
        if not endpoint.pk:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td><code>{}</code></td>"
            '<td><a href="{}">delivery {}</a></td></tr>',
            (
                (
                    f"{attempt.attempted_at:%Y-%m-%d %H:%M:%S}",
                    attempt.delivery.event_type,
                    attempt.status_code or "-",
                    attempt.latency_ms,
                    (attempt.response_excerpt[:120] or attempt.error[:120]),
                    reverse("admin:webhooks_delivery_change", args=[attempt.delivery_id]),
                    attempt.delivery_id,
                )
                for attempt in selectors.recent_attempts(endpoint)
            ),
        )
        if not rows:
            return "none yet"
        return format_html(
            "<table><tr><th>when</th><th>event</th><th>status</th><th>latency</th>"
            "<th>answer (first bytes) or error</th><th></th></tr>{}</table>",
            rows,
        )

    def get_fields(self, request: HttpRequest, obj: Endpoint | None = None) -> list[str]:
        fields = ["url", "description", "all_events", "event_types", "active", "include_personal"]
        return fields + (["state", "recent_attempts"] if obj is not None and obj.pk else [])

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {"active": True}

    def save_model(self, request: HttpRequest, obj: Endpoint, form, change: bool) -> None:
        data = form.cleaned_data
        types = ["*"] if data["all_events"] else data["event_types"]
        if change:
            services.endpoint_update(
                Endpoint.objects.get(pk=obj.pk),
                url=data["url"],
                event_types=types,
                description=data["description"],
                active=data["active"],
                include_personal=data["include_personal"],
            )
            return
        endpoint, secret = services.endpoint_create(
            url=data["url"],
            event_types=types,
            description=data["description"],
            active=data["active"],
            include_personal=data["include_personal"],
        )
        obj.pk = endpoint.pk
        request._webhook_secret = secret

    def response_add(self, request: HttpRequest, obj: Endpoint, post_url_continue=None):
        """The one page that shows the new secret."""
        return self._show_secrets(request, [(obj, request._webhook_secret)], "created")

    def get_deleted_objects(self, objs, request: HttpRequest):
        """An endpoint's deliveries and attempts go with it (nobody deletes those by hand)."""
        deleted = super().get_deleted_objects(objs, request)
        to_delete, model_count, protected = deleted[0], deleted[1], deleted[3]
        return to_delete, model_count, set(), protected

    def delete_model(self, request: HttpRequest, obj: Endpoint) -> None:
        services.endpoint_delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            services.endpoint_delete(endpoint)

    @admin.action(description="Rotate the signing secret (the old one signs during the overlap)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> HttpResponse:
        shown = [(endpoint, services.endpoint_rotate_secret(endpoint)) for endpoint in queryset]
        return self._show_secrets(request, shown, "rotated")

    @admin.action(description="Resume the selected paused endpoints")
    def resume(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        paused = list(queryset.filter(paused_at__isnull=False))
        for endpoint in paused:
            services.endpoint_resume(endpoint)
        self.message_user(request, f"{len(paused)} endpoints resumed.", messages.SUCCESS)

    def _show_secrets(
        self, request: HttpRequest, shown: list[tuple[Endpoint, str]], what: str
    ) -> TemplateResponse:
        response = TemplateResponse(
            request,
            "webhooks/secret.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Signing secret {what}",
                "shown": shown,
                "what": what,
                "opts": self.opts,
                "changelist": reverse("admin:webhooks_endpoint_changelist"),
            },
        )
        # Never kept by a cache on the way.
        response["Cache-Control"] = "no-store"
        return response


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Each delivery's fate; Resend (with webhooks.change_delivery) sends it again."""

    list_display = [
        "created_at",
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "endpoint"]
    list_select_related = ["endpoint"]
    fields = [
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "retry_until",
        "finished_at",
        "last_error",
        "tries_made",
    ]
    readonly_fields = fields
    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.change_delivery")

    @admin.display(description="attempts made")
    def tries_made(self, delivery: Delivery) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} ms</td><td><code>{}</code></td></tr>",
            (
                (
                    f"{attempt.attempted_at:%Y-%m-%d %H:%M:%S}",
                    attempt.status_code or "-",
                    attempt.latency_ms,
                    attempt.response_excerpt[:120] or attempt.error[:120],
                )
                for attempt in delivery.tries.all()[:50]
            ),
        )
        return format_html("<table>{}</table>", rows) if rows else "none yet"

    @admin.action(description="Resend the selected deliveries", permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        deliveries = list(queryset)
        for delivery in deliveries:
            services.delivery_resend(delivery)
        self.message_user(
            request, f"{len(deliveries)} deliveries will be sent again.", messages.SUCCESS
        )
