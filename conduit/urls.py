from django.contrib import admin
from django.urls import include, path

from events.api.views import MetricsApi

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", MetricsApi.as_view(), name="metrics"),
    path("api/", include("users.api.urls")),
    path("api/", include("articles.api.urls")),
    path("api/", include("comments.api.urls")),
    path("api/", include("tags.api.urls")),
    path("api/_bench/", include("conduit.floor")),  # empty unless BENCH_FLOOR_ENABLED
]
