from django.contrib import admin
from django.urls import include, path, re_path

from conduit.errors import json_not_found
from events.api.views import MetricsApi

# Errors are JSON even when DEBUG is off and Django renders them itself.
handler404 = "conduit.errors.json_not_found"
handler500 = "conduit.errors.json_server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", MetricsApi.as_view(), name="metrics"),
    path("api/", include("users.api.urls")),
    path("api/", include("articles.api.urls")),
    path("api/", include("comments.api.urls")),
    path("api/", include("tags.api.urls")),
    path("api/_bench/", include("conduit.floor")),  # empty unless BENCH_FLOOR_ENABLED
    # Any other /api/ path: a JSON 404, never Django's HTML page (which DEBUG would show).
    re_path(r"^api/", json_not_found),
]
