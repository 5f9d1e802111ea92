"""The RealWorld API contract that Conduit implements, kept here as the project's own data.

One row per operation: the method, the path under `/api` (a path parameter written `{}`),
the success statuses, the fields a request body must carry (dotted inside the envelope:
`user.email`), and whether a token is required (False: none, or optional). The developers'
reference is the RealWorld project's OpenAPI document; this table restates what a client of
that document relies on, so the schema test holds the generated schema against it without
reading anything outside the repository.
"""

from typing import NamedTuple


class Operation(NamedTuple):
    method: str
    path: str
    what: str  # in our words, what the operation is for
    success: tuple[str, ...]
    required: tuple[str, ...] | None  # None: the operation takes no body
    token_required: bool


CONTRACT: tuple[Operation, ...] = (
    # Accounts
    Operation(
        "POST",
        "/api/users/login",
        "sign in with email and password",
        ("200",),
        ("user", "user.email", "user.password"),
        False,
    ),
    Operation(
        "POST",
        "/api/users",
        "register an account",
        ("201",),
        ("user", "user.email", "user.password", "user.username"),
        False,
    ),
    Operation("GET", "/api/user", "the signed-in account", ("200",), None, True),
    Operation("PUT", "/api/user", "change the signed-in account", ("200",), ("user",), True),
    # Profiles
    Operation("GET", "/api/profiles/{}", "a profile by username", ("200",), None, False),
    Operation("POST", "/api/profiles/{}/follow", "follow an author", ("200",), None, True),
    Operation("DELETE", "/api/profiles/{}/follow", "stop following", ("200",), None, True),
    # Articles
    Operation("GET", "/api/articles/feed", "articles by followed authors", ("200",), None, True),
    Operation("GET", "/api/articles", "articles, filtered and paged", ("200",), None, False),
    Operation(
        "POST",
        "/api/articles",
        "write an article",
        ("201",),
        ("article", "article.body", "article.description", "article.title"),
        True,
    ),
    Operation("GET", "/api/articles/{}", "an article by slug", ("200",), None, False),
    Operation("PUT", "/api/articles/{}", "edit one's article", ("200",), ("article",), True),
    Operation("DELETE", "/api/articles/{}", "delete one's article", ("204",), None, True),
    # Comments
    Operation("GET", "/api/articles/{}/comments", "an article's comments", ("200",), None, False),
    Operation(
        "POST",
        "/api/articles/{}/comments",
        "comment on an article",
        ("201",),
        ("comment", "comment.body"),
        True,
    ),
    Operation(
        "DELETE", "/api/articles/{}/comments/{}", "delete one's comment", ("204",), None, True
    ),
    # Favorites
    Operation("POST", "/api/articles/{}/favorite", "favorite an article", ("200",), None, True),
    Operation("DELETE", "/api/articles/{}/favorite", "unfavorite it", ("200",), None, True),
    # Tags
    Operation("GET", "/api/tags", "the tags in use", ("200",), None, False),
)
