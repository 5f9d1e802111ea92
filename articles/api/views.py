"""Thin views: parse, call one service or selector, wrap the RealWorld envelope."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.api.serializers import (
    ArticleCreateInput,
    ArticleListItemOutput,
    ArticleOutput,
    ArticleUpdateInput,
    article_data,
)
from articles.search_queries import MAX_QUERY_LENGTH
from articles.selectors import (
    ArticleRow,
    article_feed_page,
    article_find,
    article_get,
    article_page,
    article_row,
)
from articles.services import (
    article_create,
    article_delete,
    article_favorite,
    article_unfavorite,
    article_update,
)
from conduit.api import page_from_request, unwrap
from conduit.connections import read_after_write
from conduit.errors import Invalid
from conduit.schema import ARTICLES, FAVORITES, NO_CONTENT, PAGE_PARAMETERS, envelope, errors
from users.models import User

ARTICLE = envelope("SingleArticleResponse", article=ArticleOutput())
ARTICLES_PAGE = envelope(
    "MultipleArticlesResponse",
    articles=ArticleListItemOutput(many=True),
    articlesCount=serializers.IntegerField(),
)
FILTERS = [
    OpenApiParameter("tag", description="Only articles with this tag."),
    OpenApiParameter("author", description="Only articles by this username."),
    OpenApiParameter("favorited", description="Only articles this username favorited."),
]
SEARCH = OpenApiParameter(
    "q",
    {"type": "string", "maxLength": MAX_QUERY_LENGTH},
    description=(
        "**Extension** (not in the RealWorld spec): full-text search. Only the articles whose "
        "title, description, tags or body hold every word (stemmed, so `dragons` finds "
        "`dragon`; English stop words are ignored), best match first: every word in the "
        "title, then in the title, description and tags, then anywhere; newest first within "
        "each. Combines with the other filters and paging; `articlesCount` counts every "
        "match. A query without a searchable word matches nothing. A new or edited article "
        "is searchable within a second or two."
    ),
)


def search_words(request: Request) -> str | None:
    """`q`, or None when absent or blank; 422 `q` when longer than MAX_QUERY_LENGTH."""
    q = request.query_params.get("q", "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise Invalid("q", f"is too long (maximum is {MAX_QUERY_LENGTH} characters)")
    return q or None


def viewer(request: Request) -> User | None:
    return request.user if request.user.is_authenticated else None


def _one(slug: str, request: Request) -> Response:
    article = article_get(slug=slug, viewer=viewer(request))
    return _one_response(article)


def _written(slug: str, request: Request) -> Response:
    """The article just written, read back: on a fresh connection if the one that committed
    the write has ended since (the write stands, so the answer is a success)."""
    return _one_response(read_after_write(lambda: article_get(slug=slug, viewer=viewer(request))))


def _one_response(article: ArticleRow) -> Response:
    response = Response({"article": article_data(article)})
    # Which article answered, for request observers (analytics counts a GET as one view).
    response.subject_id = article.id
    return response


def _page(articles: list[ArticleRow], count: int) -> dict[str, Any]:
    return {
        "articles": [article_data(article) for article in articles],
        "articlesCount": count,
    }


class ArticleListApi(APIView):
    @extend_schema(
        operation_id="GetArticles",
        tags=[ARTICLES],
        parameters=[*FILTERS, SEARCH, *PAGE_PARAMETERS],
        responses={200: ARTICLES_PAGE, **errors(422)},
    )
    def get(self, request: Request) -> Response:
        articles, count = article_page(
            viewer=viewer(request),
            page=page_from_request(request),
            tag=request.query_params.get("tag") or None,
            author=request.query_params.get("author") or None,
            favorited=request.query_params.get("favorited") or None,
            q=search_words(request),
        )
        return Response(_page(articles, count))


class ArticleFeedApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="GetArticlesFeed",
        tags=[ARTICLES],
        parameters=PAGE_PARAMETERS,
        responses={200: ARTICLES_PAGE, **errors(401, 422)},
    )
    def get(self, request: Request) -> Response:
        articles, count = article_feed_page(viewer=request.user, page=page_from_request(request))
        return Response(_page(articles, count))


class ArticleCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="CreateArticle",
        tags=[ARTICLES],
        request=envelope("NewArticleRequest", article=ArticleCreateInput()),
        responses={201: ARTICLE, **errors(401, 413, 422)},
    )
    def post(self, request: Request) -> Response:
        serializer = ArticleCreateInput(data=unwrap(request, "article"))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        article = article_create(
            author=request.user,
            title=data["title"],
            description=data["description"],
            body=data["body"],
            tag_list=data.get("tagList", []),
        )
        return Response(
            {"article": article_data(article_row(article))}, status=status.HTTP_201_CREATED
        )


class ArticleDetailApi(APIView):
    @extend_schema(
        operation_id="GetArticle", tags=[ARTICLES], responses={200: ARTICLE, **errors(404)}
    )
    def get(self, request: Request, slug: str) -> Response:
        return _one(slug, request)


class ArticleUpdateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="UpdateArticle",
        tags=[ARTICLES],
        request=envelope("UpdateArticleRequest", article=ArticleUpdateInput()),
        responses={200: ARTICLE, **errors(401, 403, 404, 413, 422)},
    )
    def put(self, request: Request, slug: str) -> Response:
        serializer = ArticleUpdateInput(data=unwrap(request, "article"))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        article = article_update(
            article=article_find(slug=slug),
            user=request.user,
            title=data.get("title"),
            description=data.get("description"),
            body=data.get("body"),
            tag_list=data.get("tagList"),
        )
        return _written(article.slug, request)


class ArticleDeleteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="DeleteArticle",
        tags=[ARTICLES],
        responses={**NO_CONTENT, **errors(401, 403, 404)},
    )
    def delete(self, request: Request, slug: str) -> Response:
        article_delete(article=article_find(slug=slug), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArticleFavoriteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="CreateArticleFavorite",
        tags=[FAVORITES],
        request=None,
        responses={200: ARTICLE, **errors(401, 404)},
    )
    def post(self, request: Request, slug: str) -> Response:
        article_favorite(article=article_find(slug=slug), user=request.user)
        return _written(slug, request)


class ArticleUnfavoriteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="DeleteArticleFavorite",
        tags=[FAVORITES],
        responses={200: ARTICLE, **errors(401, 404)},
    )
    def delete(self, request: Request, slug: str) -> Response:
        article_unfavorite(article=article_find(slug=slug), user=request.user)
        return _written(slug, request)
