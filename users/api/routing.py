"""One URL, several operations: send each HTTP method to its own single-operation view."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import APIView


def by_method(**views: type[APIView]) -> Callable[..., HttpResponse]:
    """`by_method(get=UserGetApi, put=UserUpdateApi)`: a view for urlpatterns."""
    handlers = {method.upper(): view.as_view() for method, view in views.items()}
    allowed = ", ".join([*handlers, "OPTIONS"])

    def dispatch(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        handler = handlers.get(request.method or "")
        if handler is None and request.method == "OPTIONS":
            handler = next(iter(handlers.values()))
        if handler is None:
            response = JsonResponse({"errors": {"body": ["method not allowed"]}}, status=405)
            response["Allow"] = allowed
            return response
        return handler(request, *args, **kwargs)

    return csrf_exempt(dispatch)
