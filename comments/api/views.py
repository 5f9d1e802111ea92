"""Thin views: parse, call one service or selector, wrap the RealWorld envelope."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.api.views import viewer
from articles.selectors import article_find
from comments.api.serializers import CommentCreateInput, CommentOutput, comment_data
from comments.selectors import comment_get, comment_row, comment_rows
from comments.services import comment_create, comment_delete
from conduit.api import unwrap
from conduit.schema import COMMENTS, NO_CONTENT, envelope, errors

COMMENT = envelope("SingleCommentResponse", comment=CommentOutput())


class CommentListApi(APIView):
    @extend_schema(
        operation_id="GetArticleComments",
        tags=[COMMENTS],
        responses={
            200: envelope("MultipleCommentsResponse", comments=CommentOutput(many=True)),
            **errors(404),
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        rows = comment_rows(slug=slug, viewer=viewer(request))
        return Response({"comments": [comment_data(row) for row in rows]})


class CommentCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="CreateArticleComment",
        tags=[COMMENTS],
        request=envelope("NewCommentRequest", comment=CommentCreateInput()),
        responses={201: COMMENT, **errors(401, 404, 413, 422)},
    )
    def post(self, request: Request, slug: str) -> Response:
        article = article_find(slug=slug)
        serializer = CommentCreateInput(data=unwrap(request, "comment"))
        serializer.is_valid(raise_exception=True)
        comment = comment_create(
            article=article, author=request.user, body=serializer.validated_data["body"]
        )
        return Response(
            {"comment": comment_data(comment_row(comment))}, status=status.HTTP_201_CREATED
        )


class CommentDeleteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="DeleteArticleComment",
        tags=[COMMENTS],
        responses={**NO_CONTENT, **errors(401, 403, 404)},
    )
    def delete(self, request: Request, slug: str, comment_id: int) -> Response:
        comment = comment_get(article=article_find(slug=slug), comment_id=comment_id)
        comment_delete(comment=comment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
