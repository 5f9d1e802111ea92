"""The benchmark's routes, under /api/_bench/ (conduit/urls.py includes them only when
BENCH_FLOOR_ENABLED is on)."""

from django.urls import path

from bench.floor import FloorApi

urlpatterns = [path("floor", FloorApi.as_view(), name="bench-floor")]
