"""What a server needs before it may start with DEBUG off: a strong SECRET_KEY (and
JWT_SECRET, when it is set apart: it signs the tokens) and an EMAIL_URL. Each problem is one
actionable line; `refuse_to_serve` stops a server with them (conduit/wsgi.py, asgi.py,
`manage.py preflight` under `make serve` and `make worker`), and `check --deploy` reports them
as errors (conduit.E101-E103)."""

import sys

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

# Django's own bar for a secret key (security.W009): at least 50 characters, 5 distinct.
MIN_SECRET_LENGTH = 50
MIN_SECRET_DISTINCT_CHARACTERS = 5
MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
# gunicorn's "App failed to load": it stops instead of booting the worker again and again.
APP_LOAD_ERROR = 4


def _secret_problem(name: str, value: str) -> str | None:
    if not value:
        return (
            f"{name} is not set and DEBUG is off: set it to a random value "
            f'(export {name}="$({MAKE_A_KEY})"), or DEBUG=on for development.'
        )
    if len(value) < MIN_SECRET_LENGTH or len(set(value)) < MIN_SECRET_DISTINCT_CHARACTERS:
        return (
            f"{name} is too weak (it needs at least {MIN_SECRET_LENGTH} characters, "
            f"{MIN_SECRET_DISTINCT_CHARACTERS} of them distinct; it signs the tokens): "
            f'make one with export {name}="$({MAKE_A_KEY})".'
        )
    return None


def _secret_key() -> str:
    try:
        return settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        return ""


def problems() -> dict[str, str]:
    """Why a server must not start, by check id; nothing while DEBUG is on."""
    if settings.DEBUG:
        return {}
    found = {}
    secret_key = _secret_key()
    if problem := _secret_problem("SECRET_KEY", secret_key):
        found["conduit.E101"] = problem
    if secret_key != settings.JWT_SECRET and (
        problem := _secret_problem("JWT_SECRET", settings.JWT_SECRET)
    ):
        found["conduit.E102"] = problem
    if not settings.EMAIL_URL:
        found["conduit.E103"] = (
            "EMAIL_URL is not set and DEBUG is off: set where email goes, for example "
            "EMAIL_URL=smtp+tls://user:password@mail.example.com:587 "
            "(EMAIL_URL=consolemail:// prints it to the worker's output on purpose)."
        )
    return found


def check_deployment(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """`manage.py check --deploy`: each problem as an error."""
    return [checks.Error(message, id=check_id) for check_id, message in problems().items()]


def refuse_to_serve() -> None:
    """Stops the process with one line per problem on standard error, when there is one."""
    found = problems()
    if found:
        for message in found.values():
            print(f"Conduit refuses to start: {message}", file=sys.stderr, flush=True)
        raise SystemExit(APP_LOAD_ERROR)
