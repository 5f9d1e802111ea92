"""One URL, one view class per HTTP method (`ArticleListApi` for GET, `ArticleCreateApi` for
POST). Generic; a candidate for conduit/api.py."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import APIView


def by_method(**views: type[APIView]) -> Callable[..., HttpResponse]:
    """`by_method(GET=ArticleListApi, POST=ArticleCreateApi)`: a view that hands each request to
    the class for its method; 405 (RealWorld error shape) for the others."""
    handlers = {method.upper(): view.as_view() for method, view in views.items()}
    if "GET" in handlers:
        handlers.setdefault("HEAD", handlers["GET"])
    handlers.setdefault("OPTIONS", next(iter(handlers.values())))
    allow = ", ".join(sorted(handlers))

    @csrf_exempt
    def view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        handler = handlers.get(request.method or "")
        if handler is None:
            response = JsonResponse({"errors": {"body": ["method not allowed"]}}, status=405)
            response["Allow"] = allow
            return response
        return handler(request, *args, **kwargs)

    return view
