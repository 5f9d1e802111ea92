"""Safe defaults: DEBUG is off unless set, the development key is used only with DEBUG on, a
server refuses to start without a strong SECRET_KEY and an EMAIL_URL (one line, no traceback),
and `check --deploy` is clean with the production settings of docs/configuration.md. Each
case runs in a process of its own, since the settings are read once, at import."""

import json
import os
import secrets
import socket
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from conduit.tests.processes import free_port
from events.tests.test_worker_process import database_url
from users.models import User

BASE_DIR = django_settings.BASE_DIR
STRONG_KEY = secrets.token_urlsafe(50)
# Every variable this file sets, cleared first so the suite's own environment cannot leak in.
VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "JWT_SECRET",
    "EMAIL_URL",
    "CORS_ALLOWED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)
# The production settings docs/configuration.md lists ("Production").
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "api.example.com",
    "EMAIL_URL": "smtp+tls://conduit:a-password@mail.example.com:587",
    "CORS_ALLOWED_ORIGINS": "https://app.example.com",
    "SECURE_SSL_REDIRECT": "on",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "on",
    "SECURE_HSTS_PRELOAD": "on",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "SESSION_COOKIE_SECURE": "on",
    "CSRF_COOKIE_SECURE": "on",
}


def environment(**variables: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    return env | {"DATABASE_URL": database_url()} | variables


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args,
        cwd=BASE_DIR,
        env=environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], **variables)


SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
try:
    key = settings.SECRET_KEY
except Exception as error:
    key = type(error).__name__
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": key,
    "CORS_ALLOW_ALL_ORIGINS": settings.CORS_ALLOW_ALL_ORIGINS,
    "CORS_ALLOWED_ORIGINS": settings.CORS_ALLOWED_ORIGINS,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "EMAIL_BACKEND": settings.MAILERS["default"]["BACKEND"],
}))
"""


def settings_under(**variables: str) -> dict:
    shown = run(
        [sys.executable, "-c", SHOW_SETTINGS],
        DJANGO_SETTINGS_MODULE="conduit.settings",
        **variables,
    )
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_unset_debug_is_off_and_never_uses_the_development_key():
    unset = settings_under()

    assert unset["DEBUG"] is False
    assert unset["SECRET_KEY"] == "ImproperlyConfigured"  # empty: Django signs nothing with it
    # Anyone may call the API from a browser only in development.
    assert unset["CORS_ALLOW_ALL_ORIGINS"] is False
    assert unset["CORS_ALLOWED_ORIGINS"] == []
    # No EMAIL_URL with DEBUG off: a send fails (and its delivery is retried).
    assert unset["EMAIL_BACKEND"] == "conduit.mail.UnconfiguredEmailBackend"
    assert unset["SECURE_SSL_REDIRECT"] is False  # plain HTTP still answers

    development = settings_under(DEBUG="on")
    assert development["DEBUG"] is True
    assert development["SECRET_KEY"].startswith("conduit-development-only")
    assert development["CORS_ALLOW_ALL_ORIGINS"] is True
    assert development["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_production_settings_come_from_variables_named_as_the_settings():
    production = settings_under(**PRODUCTION)

    assert production["CORS_ALLOW_ALL_ORIGINS"] is False
    assert production["CORS_ALLOWED_ORIGINS"] == ["https://app.example.com"]
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    # A list of origins given in development is the list, not "anyone".
    assert (
        settings_under(DEBUG="on", CORS_ALLOWED_ORIGINS="https://a.example")[
            "CORS_ALLOW_ALL_ORIGINS"
        ]
        is False
    )


def test_check_deploy_is_clean_with_the_documented_production_settings():
    checked = manage("check", "--deploy", **PRODUCTION)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout, checked.stdout + checked.stderr


def test_check_deploy_reports_a_missing_email_url_and_a_weak_key_as_errors():
    checked = manage(
        "check", "--deploy", **(PRODUCTION | {"SECRET_KEY": "x" * 60, "EMAIL_URL": ""})
    )

    assert checked.returncode != 0
    assert "conduit.E101" in checked.stderr  # 60 characters, but 1 distinct
    assert "conduit.E103" in checked.stderr
    assert "EMAIL_URL is not set" in checked.stderr


def refusal_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Conduit refuses to start")]


@pytest.mark.parametrize(
    ("key", "says"),
    [
        (None, "SECRET_KEY is not set and DEBUG is off"),
        ("too-short-a-key", "SECRET_KEY is too weak"),
        ("ab" * 40, "SECRET_KEY is too weak"),  # long, 2 distinct characters
    ],
)
def test_preflight_refuses_a_missing_or_weak_key_in_one_actionable_line(key, says):
    variables = {"EMAIL_URL": "consolemail://"} | ({"SECRET_KEY": key} if key else {})

    refused = manage("preflight", **variables)

    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    (line,) = refusal_lines(refused.stderr)
    assert says in line
    assert "secrets.token_urlsafe(50)" in line  # how to make one


def test_preflight_refuses_a_weak_jwt_secret_and_a_missing_email_url():
    refused = manage("preflight", SECRET_KEY=STRONG_KEY, JWT_SECRET="short")

    assert refused.returncode != 0
    lines = refusal_lines(refused.stderr)
    assert [line.split(":")[1].split()[0] for line in lines] == ["JWT_SECRET", "EMAIL_URL"]


def test_preflight_passes_a_strong_key_with_an_email_url_on_purpose_and_development():
    assert manage("preflight", SECRET_KEY=STRONG_KEY, EMAIL_URL="consolemail://").returncode == 0
    assert manage("preflight", DEBUG="on").returncode == 0


def test_gunicorn_without_debug_or_a_key_refuses_to_start_in_one_line(sessions):
    """The deployment the issue found open: `gunicorn conduit.wsgi`, nothing set."""
    gunicorn = [
        str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
        "conduit.wsgi:application",
        "--bind",
        f"127.0.0.1:{free_port()}",
        "--workers",
        "1",
        "--no-control-socket",
    ]
    process = sessions.popen(
        gunicorn,
        cwd=BASE_DIR,
        env=environment(EMAIL_URL="consolemail://"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = process.communicate(timeout=120)

    assert process.returncode != 0  # gunicorn stopped: "App failed to load"
    assert "Traceback" not in stderr
    (line,) = refusal_lines(stderr)
    assert "SECRET_KEY is not set" in line


@pytest.mark.django_db(transaction=True)
def test_the_readmes_createsuperuser_line_works_without_debug_or_a_key():
    """Only a server needs the key: administrative commands run with DEBUG unset."""
    created = run(
        [sys.executable, "manage.py", "createsuperuser", "--no-input"],
        DJANGO_SUPERUSER_USERNAME="root",
        DJANGO_SUPERUSER_EMAIL="root@example.com",
        DJANGO_SUPERUSER_PASSWORD="a root password of some length",
    )

    assert created.returncode == 0, created.stderr
    assert User.objects.get(username="root").is_superuser


def test_make_serve_refuses_without_an_email_url_in_one_line():
    port = free_port()

    refused = run(["make", "-s", "serve"], SECRET_KEY=STRONG_KEY, PORT=str(port))

    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    (line,) = refusal_lines(refused.stderr)
    assert "EMAIL_URL is not set" in line
    with pytest.raises(OSError):  # gunicorn never started
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
