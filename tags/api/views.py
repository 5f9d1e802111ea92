from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tags.selectors import tag_names_in_use


class TagListApi(APIView):
    def get(self, request: Request) -> Response:
        return Response({"tags": tag_names_in_use()})
