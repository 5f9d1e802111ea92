import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import View
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from events.ops.health import readiness
from events.ops.metrics import exposition


class MetricsApi(View):
    """Prometheus exposition, when METRICS_ENABLED, to staff or `Bearer $METRICS_TOKEN`."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.METRICS_ENABLED:
            return JsonResponse({"errors": {"body": ["not found"]}}, status=404)
        if not self._allowed(request):
            return JsonResponse({"errors": {"metrics": ["forbidden"]}}, status=403)
        return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)

    @staticmethod
    def _allowed(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            return True
        token = settings.METRICS_TOKEN
        offered = request.headers.get("Authorization", "")
        return bool(token) and hmac.compare_digest(offered, f"Bearer {token}")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. It touches nothing else, so that a database outage
    never gets every web process restarted."""
    return JsonResponse({"status": "ok"})


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every check of events/ops/health.py passes, else 503, same body."""
    ok, checks = readiness()
    response = JsonResponse({"status": "ok" if ok else "fail", "checks": checks})
    response.status_code = 200 if ok else 503
    response["Cache-Control"] = "no-store"
    return response
