"""The rate limits in the OpenAPI schema: every operation a throttle scope covers may answer
429 (SPECTACULAR_SETTINGS' POSTPROCESSING_HOOKS)."""

from typing import Any

THROTTLED_METHODS = ("post", "put", "patch", "delete")

TOO_MANY_REQUESTS = {
    "description": (
        "a rate limit is spent (`rate`: `limit exceeded, try again later`) or, on login, the "
        "account is locked (`credentials`: `too many failed attempts, try again later`); "
        "`Retry-After` says in how many seconds to try again"
    ),
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenericErrorModel"}}},
}


def document_rate_limits(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in THROTTLED_METHODS:
                operation.setdefault("responses", {}).setdefault("429", TOO_MANY_REQUESTS)
    return result
