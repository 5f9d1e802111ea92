"""The OpenAPI schema (drf-spectacular): a generator that sees the views behind `by_method`,
the `Token` security scheme, and the envelopes, errors and paging every view's
`extend_schema` shares."""

from typing import Any

from drf_spectacular import generators
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from conduit.api import MAX_OFFSET, MAX_PAGE_SIZE

# The RealWorld spec's tags.
AUTH = "User and Authentication"
PROFILE = "Profile"
ARTICLES = "Articles"
FAVORITES = "Favorites"
COMMENTS = "Comments"
TAGS = "Tags"
# Not in the RealWorld spec: this API's extensions.
MODERATION = "Moderation (extension)"


class EndpointEnumerator(generators.EndpointEnumerator):
    """A `conduit.api.by_method` URL is a plain function; each of its methods is the
    single-operation APIView that serves it, and the schema describes that view."""

    def should_include_endpoint(self, path: str, callback: Any) -> bool:
        return hasattr(callback, "views") or super().should_include_endpoint(path, callback)

    def get_allowed_methods(self, callback: Any) -> list[str]:
        if hasattr(callback, "views"):
            return [method for method in callback.views if method != "HEAD"]
        return super().get_allowed_methods(callback)

    def get_api_endpoints(self, patterns: Any = None, prefix: str = "") -> list[tuple]:
        return [
            (path, path_regex, method, getattr(callback, "views", {}).get(method, callback))
            for path, path_regex, method, callback in super().get_api_endpoints(patterns, prefix)
        ]


class SchemaGenerator(generators.SchemaGenerator):
    endpoint_inspector_cls = EndpointEnumerator


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "conduit.auth.JWTAuthentication"
    name = "Token"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <jwt>` (or `Bearer <jwt>`): the `token` of the user object "
            "that POST /users, POST /users/login and GET /user answer.",
        }


def envelope(component: str, **fields: serializers.Field) -> serializers.Serializer:
    """`{"user": {...}}`: RealWorld wraps every body in its resource's name."""
    return inline_serializer(component, fields=fields)


ERRORS = envelope(
    "GenericErrorModel",
    errors=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
)

_ERROR_DESCRIPTIONS = {
    401: "`token`: `is missing` or `is invalid` (or, on login, `credentials`: `invalid`)",
    403: "the caller may not change it (`article` / `comment`: `forbidden`)",
    404: "unknown slug, username or comment id (`article` / `profile` / `comment`: `not found`)",
    409: "`username` / `email`: `has already been taken`",
    413: "the body is over the size limit",
    422: "a field or parameter breaks a rule (`<field>`: `can't be blank`, ...)",
}


def errors(*status_codes: int) -> dict[int, OpenApiResponse]:
    """The error responses of an operation, all in the `{"errors": {key: [message]}}` shape."""
    return {
        code: OpenApiResponse(ERRORS, description=_ERROR_DESCRIPTIONS[code])
        for code in status_codes
    }


NO_CONTENT = {204: OpenApiResponse(description="No content")}

PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "default": 20},
        description=f"Items per page; more than {MAX_PAGE_SIZE} is read as {MAX_PAGE_SIZE}.",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        description="Items to skip.",
    ),
]
