"""The OpenAPI schema: served as YAML and JSON, valid without warnings, shown by Swagger UI
from local files only, and faithful to the RealWorld spec it implements."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

from conduit.tests.realworld_contract import CONTRACT

pytestmark = pytest.mark.django_db

METHODS = {"get", "put", "post", "delete", "patch"}


def served_schema(api_client) -> dict:
    response = api_client.get("/api/schema", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def resolve(document: dict, node: dict) -> dict:
    """Follows local references (`#/components/...`)."""
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def required_fields(document: dict, schema: dict, prefix: str = "") -> set[str]:
    """Dotted names of the required fields, inside nested objects too: {"user", "user.email"}."""
    schema = resolve(document, schema)
    fields = {prefix + name for name in schema.get("required", [])}
    for name, child in schema.get("properties", {}).items():
        if "properties" in resolve(document, child):
            fields |= required_fields(document, child, f"{prefix}{name}.")
    return fields


def summaries(document: dict) -> dict[tuple[str, str], dict]:
    """What a client relies on, per operation, keyed by (method, full path): the servers' path
    prefix (`/api`) joined, path parameters unnamed (`{slug}`, `{}` for `{id}`/`{comment_id}`)."""
    prefix = urlparse(document["servers"][0]["url"]).path.rstrip("/")
    result = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            body = resolve(document, operation.get("requestBody", {}))
            result[method.upper(), re.sub(r"\{\w+\}", "{}", prefix + path)] = {
                "success": sorted(code for code in operation["responses"] if code[0] == "2"),
                "required request fields": sorted(
                    required_fields(document, body["content"]["application/json"]["schema"])
                )
                if body
                else None,
                # Optional auth is written as an alternative with no requirement, `{}`.
                "token required": {} not in operation.get("security", [{}]),
            }
    return result


def test_every_operation_of_the_realworld_contract_is_served_as_the_contract_says(api_client):
    expected = {
        (row.method, row.path): {
            "success": list(row.success),
            "required request fields": list(row.required) if row.required is not None else None,
            "token required": row.token_required,
        }
        for row in CONTRACT
    }
    ours = summaries(served_schema(api_client))

    assert len(expected) == 19
    assert {key: ours.get(key) for key in expected} == expected


def test_the_contract_check_notices_a_changed_status_or_a_missing_field(api_client):
    # The comparison above is only as good as `summaries`: it must see what a client relies on.
    document = served_schema(api_client)
    login = document["paths"]["/users/login"]["post"]
    login["responses"]["201"] = login["responses"].pop("200")
    create = document["paths"]["/articles"]["post"]
    body = resolve(document, create["requestBody"]["content"]["application/json"]["schema"])
    article = resolve(document, body["properties"]["article"])
    article["required"] = [name for name in article["required"] if name != "body"]

    changed = summaries(document)

    assert changed["POST", "/api/users/login"]["success"] == ["201"]
    assert "article.body" not in changed["POST", "/api/articles"]["required request fields"]


def test_the_schema_is_yaml_by_default_and_the_same_document_as_json(api_client):
    as_yaml = api_client.get("/api/schema")
    as_json = api_client.get("/api/schema", HTTP_ACCEPT="application/json")

    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert as_json["Content-Type"] == "application/json"
    document = yaml.safe_load(as_yaml.content)
    assert document == json.loads(as_json.content)
    assert document["info"]["title"] == "Conduit API"
    assert document["servers"] == [{"url": "/api"}]
    assert document["components"]["securitySchemes"]["Token"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": document["components"]["securitySchemes"]["Token"]["description"],
    }


def test_the_schema_is_public_even_to_a_stale_token(api_client):
    response = api_client.get("/api/schema", HTTP_AUTHORIZATION="Token stale")

    assert response.status_code == 200


def test_the_generated_schema_is_valid_and_raises_no_warning(api_client, tmp_path):
    output = tmp_path / "schema.yaml"

    # --fail-on-warn turns any warning (an endpoint it cannot describe) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(output))

    assert yaml.safe_load(output.read_text()) == served_schema(api_client)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def swagger_ui_assets(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


def test_swagger_ui_loads_nothing_from_the_internet(api_client):
    response = api_client.get("/api/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"https?://", html) == []
    assert 'url: "/api/schema"' in html
    assets = swagger_ui_assets(html)
    assert len(assets) == 4  # favicon, stylesheet, bundle, preset
    for url in assets:
        assert url.startswith(f"{settings.STATIC_URL}drf_spectacular_sidecar/"), url
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url


def test_a_server_that_serves_static_files_serves_swagger_ui_whole(live_server):
    # The live server serves /static/ as `make run` (runserver, DEBUG on) does.
    with urlopen(f"{live_server.url}/api/docs") as page:
        assets = swagger_ui_assets(page.read().decode())

    for url in assets:
        with urlopen(f"{live_server.url}{url}") as asset:
            assert asset.status == 200
            assert len(asset.read()) > 0
