"""Thin views: parse, call one service or selector, wrap the RealWorld envelope."""

from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.api.views import viewer
from articles.selectors import article_find
from comments.api.serializers import CommentCreateInput, comment_data
from comments.selectors import comment_get, comment_row, comment_rows
from comments.services import comment_create, comment_delete
from conduit.api import unwrap


class CommentListApi(APIView):
    def get(self, request: Request, slug: str) -> Response:
        rows = comment_rows(slug=slug, viewer=viewer(request))
        return Response({"comments": [comment_data(row) for row in rows]})


class CommentCreateApi(APIView):
    permission_classes = [IsAuthenticated]

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

    def delete(self, request: Request, slug: str, comment_id: int) -> Response:
        comment = comment_get(article=article_find(slug=slug), comment_id=comment_id)
        comment_delete(comment=comment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
