from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from conduit.errors import json_not_found
from events.api.views import MetricsApi

# Errors are JSON even when DEBUG is off and Django renders them itself.
handler400 = "conduit.errors.json_bad_request"
handler403 = "conduit.errors.json_forbidden"
handler404 = "conduit.errors.json_not_found"
handler500 = "conduit.errors.json_server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", MetricsApi.as_view(), name="metrics"),
    path("api/", include("users.api.urls")),
    path("api/", include("articles.api.urls")),
    path("api/", include("comments.api.urls")),
    path("api/", include("tags.api.urls")),
    path("api/", include("events.system.moderation.api.urls")),  # an extension: flags
    # The OpenAPI schema (YAML, or JSON by Accept or ?format=json) and Swagger UI over it.
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Any other /api/ path: a JSON 404, never Django's HTML page (which DEBUG would show).
    re_path(r"^api(?:/|$)", json_not_found),
]

if settings.BENCH_FLOOR_ENABLED:
    # The benchmark's floor page (bench/, installed with it), ahead of the JSON 404.
    urlpatterns.insert(-1, path("api/_bench/", include("bench.urls")))
