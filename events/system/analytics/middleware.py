"""The request observer: what analytics learns from each request, after the view answered.

Views and selectors never publish (pyproject.toml's contract "only services publish"), and a
read has no service, so the trigger is here, keyed by the URL's name, the method and the
status: a GET of `article-detail` answered 200 is a view of the article the view answered
with (`response.subject_id`), a GET of `article-list` answered 200 with filters is a search
per filter that is not blank (`tag`, `author`, `favorited`, `q`). Every request, whatever
its answer, counts towards the traffic of its minute. ANALYTICS_ENABLED off skips all of it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from events.system.analytics import flush, services, slowqueries, tally

# The article list's query parameters that narrow it, each a kind of search; `q` is the
# full-text search (articles/search_queries.py), which ignores a blank query.
SEARCH_FILTERS = ("tag", "author", "favorited", "q")


def article_read(request: HttpRequest, response: HttpResponse) -> None:
    article_id = getattr(response, "subject_id", None)
    if article_id is not None:
        services.article_view_record(
            article_id=article_id, slug=request.resolver_match.kwargs["slug"]
        )


def articles_listed(request: HttpRequest, response: HttpResponse) -> None:
    query = request.GET
    filters = [(kind, query.get(kind)) for kind in SEARCH_FILTERS if query.get(kind, "").strip()]
    if filters:
        results = response.data["articlesCount"]
        for kind, value in filters:
            services.search_record(kind=kind, value=value, results=results)


# URL name -> what a successful GET of it tells.
OBSERVERS: dict[str, Callable[[HttpRequest, HttpResponse], None]] = {
    "article-detail": article_read,
    "article-list": articles_listed,
}


class RequestObserverMiddleware:
    """Counts views, searches and traffic (analytics/tally.py) and names the request path for
    slow-query reports; starts this process's flusher on its first request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = slowqueries.request_path.set(request.path)
        try:
            response = self.get_response(request)
        finally:
            slowqueries.request_path.reset(token)
        if not settings.ANALYTICS_ENABLED:
            return response
        flush.ensure_flusher()
        tally.request_seen()
        match = request.resolver_match
        if match is not None and request.method == "GET" and response.status_code == 200:
            observer = OBSERVERS.get(match.url_name)
            if observer is not None:
                observer(request, response)
        return response
