"""The benchmark's floor: the framework's cost of a 20-article list page, without the database.

`GET /api/_bench/floor` answers with a constant JSON body shaped and sized like
`GET /api/articles?limit=20`, built once at import. It goes through the same middleware, DRF's
`APIView` (authentication, permissions, content negotiation) and a `JSONRenderer`, so the
difference between an endpoint and the floor is what the endpoint itself costs. `?render=1`
renders the same page from Python objects on every request, to show what JSON encoding costs.

Routed (bench/urls.py, from conduit/urls.py) only when `BENCH_FLOOR_ENABLED` is on, which
bench/run.sh turns on; see bench/README.md.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conduit.api import format_timestamp

_WORDS = ["django", "query", "index", "latency", "event", "audit", "worker", "queue"]


def floor_page(size: int = 20) -> dict[str, Any]:
    """A list page like the real one: titles, descriptions, 1-3 tags, authors with bios."""
    newest = datetime(2026, 1, 1, tzinfo=UTC)
    articles = []
    for i in range(size):
        words = [_WORDS[(i * 7 + k) % len(_WORDS)] for k in range(3 + i % 5)]
        created = newest - timedelta(hours=7 * i, seconds=i)
        author = f"bench{(i * 37) % 200}"
        articles.append(
            {
                "slug": f"{'-'.join(words)}-{2000 - i}",
                "title": " ".join(words).capitalize(),
                "description": f"{' '.join(reversed(words)).capitalize()} and why it matters.",
                "tagList": [_WORDS[(i + k) % len(_WORDS)] for k in range(1 + i % 3)],
                "createdAt": format_timestamp(created),
                "updatedAt": format_timestamp(created),
                "favorited": False,
                "favoritesCount": (i * 13) % 40,
                "author": {
                    "username": author,
                    "bio": f"{author.capitalize()} writes about {words[0]} and {words[-1]}."
                    if i % 2
                    else None,
                    "image": f"https://api.realworld.io/images/{author}.jpg" if i % 3 else None,
                    "following": False,
                },
            }
        )
    return {"articles": articles, "articlesCount": 2000}


FLOOR_DATA = floor_page()
FLOOR_BODY = JSONRenderer().render(FLOOR_DATA)


class PrebuiltJSONRenderer(JSONRenderer):
    """A JSONRenderer that passes bytes through: the floor's body is encoded once."""

    def render(self, data: Any, *args: Any, **kwargs: Any) -> bytes:
        return data if isinstance(data, bytes) else super().render(data, *args, **kwargs)


class FloorApi(APIView):
    renderer_classes = [PrebuiltJSONRenderer]
    schema = None  # a benchmark's yardstick, not part of the API

    def get(self, request: Request) -> Response:
        return Response(FLOOR_DATA if request.query_params.get("render") else FLOOR_BODY)
