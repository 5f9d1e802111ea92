from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from events.system.analytics import charts
from events.system.analytics.models import ArticleViews, Dashboard
from events.system.analytics.selectors import dashboard


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def is_staff(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff


@admin.register(Dashboard)
class DashboardAdmin(ReadOnlyAdmin):
    """The operators' page: its entry in the admin's index opens the dashboard, for any
    active staff member (the admin site turns everyone else away to its login)."""

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_staff(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def get_urls(self) -> list[URLPattern]:
        """The page alone: no rows to open, change or delete."""
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.changelist_view), name=name)]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> TemplateResponse:
        data = dashboard()
        context = {
            **self.admin_site.each_context(request),
            "title": "Analytics dashboard",
            "opts": self.opts,
            "dashboard": data,
            "published_chart": charts.stacked_bars(
                data.published, label_every=3, time_format="%H:00", title="Events per hour"
            ),
            "published_legend": charts.legend(data.published),
            "handlers_chart": charts.stacked_bars(
                data.handler_runs,
                label_every=3,
                time_format="%H:00",
                title="Handler runs",
                width=charts.HALF_WIDTH,
            ),
            "handlers_legend": charts.legend(data.handler_runs),
            "traffic_chart": charts.stacked_bars(
                data.traffic,
                label_every=10,
                time_format="%H:%M",
                title="Requests per minute",
                width=charts.HALF_WIDTH,
            ),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "analytics/dashboard.html", context)


@admin.register(ArticleViews)
class ArticleViewsAdmin(ReadOnlyAdmin):
    """Each article's view count, most read first (written by the flushers)."""

    list_display = ["article", "slug", "views", "updated_at"]
    list_select_related = ["article"]
    search_fields = ["=article__slug"]
    ordering = ["-views"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArticleViews]:
        return (
            super()
            .get_queryset(request)
            .only("views", "updated_at", "article__title", "article__slug")
        )

    @admin.display(description="slug")
    def slug(self, views: ArticleViews) -> str:
        return views.article.slug
