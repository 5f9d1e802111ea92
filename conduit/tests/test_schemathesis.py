"""Let the schema find bugs: Schemathesis generates requests from /api/schema (valid ones and
invalid ones) and sends them to a live server, anonymously, with a stale token and with
alice's token. Any server error, and any response the schema does not describe (status code,
content type, body), fails the test. Bounded and deterministic: a fixed number of examples
per operation, derandomized, no shrinking (`pytest -m schemathesis` runs it alone)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from articles.models import Article
from articles.services import article_create
from comments.models import Comment
from comments.services import comment_create
from conduit.auth import issue_token
from users.models import User
from users.services import user_register

pytestmark = pytest.mark.schemathesis

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 15  # per operation, generation mode and caller: 10-25 s a caller


@pytest.fixture
def api_schema(live_server) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        # The callers below set Authorization themselves.
        {"base-url": f"{live_server.url}/api", "generation": {"with-security-parameters": False}}
    )
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema", config=config)


@pytest.fixture
def existing_rows(live_server):
    """`existing_rows("bob")`: the path parameters of rows that exist (bob's username, an
    article of his, his comment on it), made again when a generated request deleted them. Random
    values alone would only ever reach the 404s."""
    owners = {
        name: user_register(username=name, email=f"{name}@example.com", password=f"{name} pass")
        for name in ("alice", "bob")
    }

    def rows(owner: str) -> dict[str, object]:
        user = User.objects.get(pk=owners[owner].pk)  # a PUT /user may have renamed alice
        title = f"The notes of {owner}"
        article = Article.objects.filter(author=user, title=title).first() or article_create(
            author=user, title=title, description="Notes.", body="Some notes.", tag_list=["notes"]
        )
        comment = Comment.objects.filter(article=article, author=user).first() or comment_create(
            article=article, author=user, body="A first comment."
        )
        return {"username": user.username, "slug": article.slug, "comment_id": comment.pk}

    rows.alice = owners["alice"]
    return rows


def first_failure(operation, mode: GenerationMode, headers: dict, existing_rows) -> str | None:
    """Runs the operation's examples; the first failure Schemathesis reports, or None."""
    failures: list[str] = []

    @given(case=operation.as_strategy(mode), rows_of=st.sampled_from([None, "alice", "bob"]))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case, rows_of) -> None:
        if failures:
            return
        if rows_of and case.path_parameters:
            known = existing_rows(rows_of)
            case.path_parameters |= {name: known[name] for name in case.path_parameters}
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except FailureGroup as failure:
            failures.append(f"{operation.label} ({mode.value} data): {failure}")

    try:
        run()
    except Unsatisfiable:
        # Nothing about this operation can be invalid (no body, only free-form strings).
        assert mode is GenerationMode.NEGATIVE, operation.label
    return failures[0] if failures else None


@pytest.mark.parametrize("caller", ["anonymous", "stale token", "alice"])
def test_every_response_is_one_the_schema_describes(api_schema, existing_rows, caller):
    headers = {
        "anonymous": {},
        "stale token": {"Authorization": "Token expired.or.tampered"},
        "alice": {"Authorization": f"Token {issue_token(existing_rows.alice)}"},
    }[caller]
    operations = [result.ok() for result in api_schema.get_all_operations()]

    failures = [
        failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := first_failure(operation, mode, headers, existing_rows))
    ]

    assert len(operations) == 19 + 2  # the RealWorld spec's, and the two flag extensions
    assert not failures, "\n\n".join(failures)
