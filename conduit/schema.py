"""The OpenAPI schema (drf-spectacular): a generator that sees the views behind `by_method`,
the `Token` security scheme, and the envelopes, errors and paging every view's
`extend_schema` shares."""

from typing import Any

from drf_spectacular import generators
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from conduit.api import MAX_OFFSET, MAX_PAGE_SIZE
from conduit.fields import PatternField
from conduit.patterns import NO_NUL, NOT_BLANK, WHITESPACE, padded

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
    403: "the caller may not do it: not theirs (`article` / `comment`: `forbidden`), or not "
    "to themselves (`profile`: `cannot follow yourself`, `flag`: `can't flag your own content`)",
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


class StrictStringField(OpenApiSerializerFieldExtension):
    """conduit.fields' strings: blank (empty or whitespace only) is refused unless allowed, a
    NUL always (DRF's CharField)."""

    target_class = "conduit.fields.StrictStringMixin"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and "enum" not in schema:
            # Where blank is allowed, drf-spectacular makes this `oneOf` it and "" (maxLength
            # 0): a minLength of 1 keeps the two branches apart, as oneOf needs.
            schema["minLength"] = max(schema.get("minLength", 0), 1)
            if isinstance(self.target, PatternField):  # its own rule, around the trimming
                schema["pattern"] = padded(self.target.pattern)
                if self.target.allow_blank:  # whitespace only is blank
                    schema["pattern"] = f"^[{WHITESPACE}]*$|{schema['pattern']}"
            else:
                schema["pattern"] = NO_NUL if self.target.allow_blank else NOT_BLANK
        return schema


def document_query_strings(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Every string query parameter refuses a NUL (a POSTPROCESSING_HOOKS entry)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string":
                    schema.setdefault("pattern", NO_NUL)
    return result


def _link(operation_id: str, description: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation_id, "parameters": parameters, "description": description}


# The links a client (and Schemathesis' stateful phase) follows from one answer to the next
# request: the identifiers an answer carries, and the operations that take them.
_USER = "$response.body#/user/username"
_ARTICLE = "$response.body#/article/slug"
_USER_LINKS = {
    "GetProfile": _link("GetProfileByUsername", "The account's profile.", username=_USER),
    "GetArticlesByAuthor": _link("GetArticles", "The account's articles.", author=_USER),
    "GetArticlesFavorited": _link("GetArticles", "What it favorited.", favorited=_USER),
}
_ARTICLE_LINKS = {
    "GetArticle": _link("GetArticle", "The article.", slug=_ARTICLE),
    "UpdateArticle": _link("UpdateArticle", "Edit it (its author).", slug=_ARTICLE),
    "DeleteArticle": _link("DeleteArticle", "Delete it (its author).", slug=_ARTICLE),
    "FavoriteArticle": _link("CreateArticleFavorite", "Favorite it.", slug=_ARTICLE),
    "UnfavoriteArticle": _link("DeleteArticleFavorite", "Unfavorite it.", slug=_ARTICLE),
    "GetComments": _link("GetArticleComments", "Its comments.", slug=_ARTICLE),
    "CreateComment": _link("CreateArticleComment", "Comment on it.", slug=_ARTICLE),
    "FlagArticle": _link("FlagArticle", "Flag it for review.", slug=_ARTICLE),
    "GetAuthor": _link(
        "GetProfileByUsername", "Its author.", username="$response.body#/article/author/username"
    ),
    "FollowAuthor": _link(
        "FollowUserByUsername",
        "Follow its author.",
        username="$response.body#/article/author/username",
    ),
}
_COMMENT_LINKS = {
    "DeleteComment": _link(
        "DeleteArticleComment",
        "Delete it (its author).",
        slug="$request.path.slug",
        comment_id="$response.body#/comment/id",
    ),
    "FlagComment": _link(
        "FlagArticleComment",
        "Flag it for review.",
        slug="$request.path.slug",
        comment_id="$response.body#/comment/id",
    ),
}
_PROFILE_LINKS = {
    "FollowProfile": _link(
        "FollowUserByUsername", "Follow them.", username="$response.body#/profile/username"
    ),
    "UnfollowProfile": _link(
        "UnfollowUserByUsername", "Unfollow them.", username="$response.body#/profile/username"
    ),
    "GetArticlesByProfile": _link(
        "GetArticles", "Their articles.", author="$response.body#/profile/username"
    ),
}
LINKS = {
    ("CreateUser", "201"): _USER_LINKS,
    ("Login", "200"): _USER_LINKS,
    ("GetCurrentUser", "200"): _USER_LINKS,
    ("UpdateCurrentUser", "200"): _USER_LINKS,
    ("CreateArticle", "201"): _ARTICLE_LINKS,
    ("GetArticle", "200"): _ARTICLE_LINKS,
    ("UpdateArticle", "200"): _ARTICLE_LINKS,
    ("CreateArticleFavorite", "200"): _ARTICLE_LINKS,
    ("CreateArticleComment", "201"): _COMMENT_LINKS,
    ("GetProfileByUsername", "200"): _PROFILE_LINKS,
    ("FollowUserByUsername", "200"): _PROFILE_LINKS,
}


def declare_links(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """OpenAPI links from each answer to the operations its identifiers feed (a
    POSTPROCESSING_HOOKS entry)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                links = LINKS.get((operation.get("operationId"), status))
                if links:
                    response["links"] = links
    return result
