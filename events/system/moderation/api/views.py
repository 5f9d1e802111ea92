"""The flag extension to the RealWorld API: a reader flags an article or a comment for the
moderators. Thin views: parse, call events.system.moderation.services.content_flag, wrap the
envelope."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.selectors import article_find
from comments.selectors import comment_get
from conduit.api import unwrap
from conduit.schema import MODERATION, envelope, errors
from events.system.moderation.api.serializers import FlagInput, FlagOutput, flag_data
from events.system.moderation.services import content_flag

FLAG_REQUEST = envelope("NewFlagRequest", flag=FlagInput())
FLAG = envelope("SingleFlagResponse", flag=FlagOutput())
EXTENSION = (
    "An extension to the RealWorld API. One flag per reader and item: a repeat answers the "
    "first flag and changes nothing. Flagging your own content is a 422 (`flag`). After "
    "enough distinct readers' flags the item is hidden pending a moderator's review."
)


def _flag(request: Request, article, comment=None) -> Response:
    serializer = FlagInput(data=unwrap(request, "flag"))
    serializer.is_valid(raise_exception=True)
    flag = content_flag(
        user=request.user,
        article=article,
        comment=comment,
        reason=serializer.validated_data["reason"],
        note=serializer.validated_data.get("note", ""),
    )
    return Response({"flag": flag_data(flag)})


class ArticleFlagApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="FlagArticle",
        summary="Flag an article for review (extension)",
        description=EXTENSION,
        tags=[MODERATION],
        request=FLAG_REQUEST,
        responses={200: FLAG, **errors(401, 403, 404, 413, 422)},
    )
    def post(self, request: Request, slug: str) -> Response:
        return _flag(request, article_find(slug=slug))


class CommentFlagApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="FlagArticleComment",
        summary="Flag a comment for review (extension)",
        description=EXTENSION,
        tags=[MODERATION],
        request=FLAG_REQUEST,
        responses={200: FLAG, **errors(401, 403, 404, 413, 422)},
    )
    def post(self, request: Request, slug: str, comment_id: int) -> Response:
        article = article_find(slug=slug)
        return _flag(request, article, comment_get(article=article, comment_id=comment_id))
