"""The schema states what the server enforces: for awkward values (every kind of whitespace, NUL,
control characters, non-ASCII), the served schema's field rules, read by the JSON Schema
validator Schemathesis uses (jsonschema_rs), accept exactly what the server's serializers
accept. And each answer that carries an identifier links to the operations that take it."""

import jsonschema_rs
import pytest

from articles.api.serializers import ArticleCreateInput
from users.api.serializers import UserRegisterInputSerializer, UserUpdateInputSerializer

pytestmark = pytest.mark.django_db

AWKWARD = [
    "dragons",
    "  dragons  ",
    "",
    " ",
    "\t\n",
    "\u3000\u00a0\u2028",
    "\x1c",
    "\ufeff",
    "a\x00b",
    "\x00",
    "bell\x07",
    "ü",
    "日本語",
    "a\u0301",
]
EMAILS = [
    "alice@example.com",
    "ALICE@EXAMPLE.COM",
    "a.b+c@sub.example.co.uk",
    "0@0.a",
    "0@0.aa",
    "alice@localhost",
    "alice@@example.com",
    "alice@exa mple.com",
    "ålice@example.com",
    "alice@example.com\n",
    " alice@example.com ",
    "a\x00@example.com",
]
IMAGES = [
    "https://example.com/a.png",
    "http://localhost:8000/a.png?size=2#x",
    "ftp://example.com/a.png",
    "javascript:alert(1)",
    "https://exa mple.com/a.png",
    "https://example.com/a b.png",
    "https://example.com/\x00",
    " https://example.com/a.png\n",
    "   ",
    "",
]
USERNAMES = ["alice", "al.ice-2_", "..", ".", "ålice", "日本", "a b", "a/b", "a\x00", "a\u0301"]


@pytest.fixture(scope="module")
def schemas(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        document = APIClient().get("/api/schema", {"format": "json"}).json()
    return document


def field_schema(schemas: dict, component: str, field: str) -> dict:
    schema = schemas["components"]["schemas"][component]["properties"][field]
    return {**schema, "nullable": False} if "oneOf" not in schema else schema["oneOf"][0]


def schema_accepts(schema: dict, value: str) -> bool:
    return jsonschema_rs.validator_for(schema).is_valid(value)


def server_accepts(serializer: type, data: dict, field: str) -> bool:
    checked = serializer(data=data)
    checked.is_valid()
    return field not in checked.errors


CASES = [
    ("ArticleCreateInput", ArticleCreateInput, "title", AWKWARD, {"description": "d", "body": "b"}),
    ("ArticleCreateInput", ArticleCreateInput, "body", AWKWARD, {"title": "t", "description": "d"}),
    (
        "UserRegisterInput",
        UserRegisterInputSerializer,
        "email",
        EMAILS + AWKWARD,
        {"username": "u", "password": "password"},
    ),
    (
        "UserRegisterInput",
        UserRegisterInputSerializer,
        "username",
        USERNAMES + AWKWARD,
        {"email": "u@example.com", "password": "password"},
    ),
    (
        "UserRegisterInput",
        UserRegisterInputSerializer,
        "password",
        [*AWKWARD, "x" * 7, "x" * 8, " " * 9, "long enough\x00"],
        {"email": "u@example.com", "username": "u"},
    ),
    ("UserUpdateInput", UserUpdateInputSerializer, "image", IMAGES[:-1], {}),
]


@pytest.mark.parametrize(
    ("component", "serializer", "field", "values", "others"),
    CASES,
    ids=[f"{case[0]}.{case[2]}" for case in CASES],
)
def test_the_schema_and_the_server_agree(schemas, component, serializer, field, values, others):
    schema = field_schema(schemas, component, field)

    disagreements = [
        (value, schema_accepts(schema, value))
        for value in values
        if schema_accepts(schema, value)
        != server_accepts(serializer, {**others, field: value}, field)
    ]

    assert disagreements == [], (schema, disagreements)


def test_blank_image_and_bio_are_allowed_by_both(schemas):
    for field in ("image", "bio"):
        schema = schemas["components"]["schemas"]["UserUpdateInput"]["properties"][field]
        assert schema_accepts(schema, "")
        assert server_accepts(UserUpdateInputSerializer, {field: ""}, field)


def test_tag_names_rules_are_stated(schemas):
    tag_list = schemas["components"]["schemas"]["ArticleCreateInput"]["properties"]["tagList"]

    assert tag_list["maxItems"] == 25
    assert schema_accepts(tag_list["items"], " dragons ")
    for refused in ("", "  ", "a\x07bell", "x" * 101):
        assert not schema_accepts(tag_list["items"], refused), refused


def test_answers_link_their_identifiers_to_the_operations_that_take_them(schemas):
    create = schemas["paths"]["/articles"]["post"]["responses"]["201"]["links"]
    comment = schemas["paths"]["/articles/{slug}/comments"]["post"]["responses"]["201"]["links"]
    operations = {
        operation["operationId"]
        for item in schemas["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }

    assert create["GetArticle"]["parameters"] == {"slug": "$response.body#/article/slug"}
    assert comment["DeleteComment"]["parameters"]["comment_id"] == "$response.body#/comment/id"
    linked = {
        link["operationId"]
        for item in schemas["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
        for link in response.get("links", {}).values()
    }
    assert linked <= operations  # every link names an operation that exists
