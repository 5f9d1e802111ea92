from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conduit.schema import TAGS, envelope
from tags.selectors import tag_names_in_use


class TagListApi(APIView):
    @extend_schema(
        operation_id="GetTags",
        tags=[TAGS],
        responses={
            200: envelope("TagsResponse", tags=serializers.ListField(child=serializers.CharField()))
        },
    )
    def get(self, request: Request) -> Response:
        return Response({"tags": tag_names_in_use()})
