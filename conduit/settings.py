"""Conduit settings: everything comes from the environment (django-environ).

DEBUG is off unless set: `make run`, `make test`, `make lint` and `make bench` turn it on for
development. With DEBUG off a server refuses to start without a strong SECRET_KEY and an
EMAIL_URL (conduit/deployment.py); other commands (createsuperuser, migrate) still run.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from conduit.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# The development key is in the repository, so it is used only when DEBUG is explicitly on.
# Without DEBUG, an unset key stays empty: Django refuses to sign anything with it, and a
# server refuses to start (conduit/deployment.py), in one line that says how to make one.
_DEV_SECRET_KEY = "conduit-development-only-secret-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    # events first: its db_worker command extends django_tasks_db's with retries and leases.
    "events",
    "users",
    "tags",
    "articles",
    "comments",
    "events.system.moderation",
    "events.system.security",
    "events.system.analytics",
    "events.system.maintenance",
    "events.system.webhooks",
    "conduit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The search index's tsvector columns and GIN indexes (articles/search.py); harmless on
    # SQLite, where the index is an FTS5 table.
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from /static/, not a CDN
    "django_tasks_db",
]

MIDDLEWARE = [
    "events.middleware.RequestContextMiddleware",
    # The access line and the HTTP metrics, with the request id and the actor known.
    "conduit.access.AccessMiddleware",
    # Views, searches and traffic, seen after each answer (events/system/analytics/middleware.py).
    "events.system.analytics.middleware.RequestObserverMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "conduit.middleware.ApiRequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The admin's and Swagger UI's static files, from the app server itself (make serve too).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "conduit.urls"
WSGI_APPLICATION = "conduit.wsgi.application"
ASGI_APPLICATION = "conduit.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _url_scheme(variable: str, known: dict[str, str]) -> None:
    """A URL whose scheme django-environ does not know is refused here, by its variable's
    name, instead of by a traceback from deep in Django (manage.py prints this one line)."""
    value = env.str(variable, default="")
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if value and scheme not in known:
        examples = {"DATABASE_URL": "postgres://user:password@host:5432/name or sqlite:///path"}
        raise ImproperlyConfigured(
            f"{variable}: the scheme {scheme or '(none)'!r} is not understood; use "
            + examples.get(variable, "redis://host:6379/0 or filecache:///path")
        )


_url_scheme("DATABASE_URL", environ.Env.DB_SCHEMES)
_url_scheme("CACHE_URL", environ.Env.CACHE_SCHEMES)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A request's first statement on a kept connection checks it first (a `SELECT 1` round trip)
# and replaces one the server ended (a restart, a failover, a pooler's recycle); without the
# check, the first request on each process after that answers 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the worker read while the other writes; IMMEDIATE
    # transactions take the write lock up front instead of failing on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so that a db_worker subprocess can share the test database.
    _db_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": str(_db_file.with_name(f"test_{_db_file.name}"))}
elif env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # PostgreSQL binds the parameters and keeps the plans: psycopg prepares a statement the
    # fifth time a connection runs it, and the server no longer parses and plans it on every
    # run (38% of its time under POST /articles; 0.142 -> 0.163 of the floor, bench/README.md).
    # Off behind a pooler in transaction mode that does not keep each client's prepared
    # statements (pgbouncer before 1.21, or without max_prepared_statements).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )

# `default` is shared by every process (one host: files; several: CACHE_URL=redis://...); it
# holds the read cache's version stamps (a few hundred: conduit/readcache.py) besides the rate
# limits and lockouts; what each process remembers is in its own memory (READ_CACHE_ENTRIES).
CACHES = {
    "default": env.cache_url("CACHE_URL", default=f"filecache://{BASE_DIR / '.cache' / 'shared'}"),
}
_ONE_HOST = CACHES["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
if _ONE_HOST:
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 2000)
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # An unreachable or stalled Redis costs a request one second, never a hang; the failure
    # is reported (conduit/sharedcache.py). `?socket_timeout=2` in CACHE_URL overrides.
    _redis_options = CACHES["default"].setdefault("OPTIONS", {})
    _redis_options.setdefault("socket_connect_timeout", 1.0)
    _redis_options.setdefault("socket_timeout", 1.0)
# How long a read may be remembered; 0 turns the read cache off. A business change forgets
# the reads it changes at once (conduit/readcache.py).
READ_CACHE_SECONDS = env.int("READ_CACHE_SECONDS", default=60)
# Reads each process remembers at most: room for the pages a busy site's readers spread over
# (bench/mix.py reports the hit rate), a few hundred MB at worst. Each read has one entry, its
# newest version (docs/performance.md, "Memory").
READ_CACHE_ENTRIES = env.int("READ_CACHE_ENTRIES", default=20000)
# What else each process remembers, at most (docs/performance.md, "Memory"): tokens verified
# lately (~0.8 KB each), formatted timestamps (~250 B each) and the list statements the ORM
# built (~1.4 KB each, this many of each of the three kinds).
TOKEN_CACHE_ENTRIES = env.int("TOKEN_CACHE_ENTRIES", default=10000)
TIMESTAMP_CACHE_ENTRIES = env.int("TIMESTAMP_CACHE_ENTRIES", default=8192)
STATEMENT_CACHE_ENTRIES = env.int("STATEMENT_CACHE_ENTRIES", default=4096)
# Where the read cache's version stamps are: "shared" (the shared cache: Redis across hosts),
# or a file that the processes of one host map into memory, the default with the file cache.
READ_CACHE_STAMPS = env.str(
    "READ_CACHE_STAMPS", default=str(BASE_DIR / ".cache" / "read-stamps") if _ONE_HOST else "shared"
)

AUTH_USER_MODEL = "users.User"
# The admin's login checks credentials through users.services.user_login: the API's lockout
# and audit apply to it too (users/backends.py, docs/security.md).
AUTHENTICATION_BACKENDS = ["users.backends.LoginServiceBackend"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One password rule (users/validators.py) for the API, the admin's forms and the commands.
AUTH_PASSWORD_VALIDATORS = [{"NAME": "users.validators.PasswordPolicyValidator"}]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

APPEND_SLASH = False

# The largest request body, in bytes (Django's default, 2.5 MiB): a larger one is answered
# 413 under /api/ before it is read (conduit/middleware.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["conduit.auth.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["conduit.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "conduit.errors.realworld_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The login, registration and writes rate limits (events/system/security/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["events.system.security.throttling.ScopedRateLimit"],
}

# The OpenAPI schema (/api/schema) and Swagger UI (/api/docs); conduit/schema.py.
SPECTACULAR_SETTINGS = {
    "TITLE": "Conduit API",
    "DESCRIPTION": (
        "The RealWorld Conduit API (spec 2.0.0). Every error answers "
        '`{"errors": {"<key>": ["<message>"]}}`.'
    ),
    "VERSION": "2.0.0",
    # Paths as in the RealWorld spec (/users, /articles, ...), served under /api.
    "SERVERS": [{"url": "/api"}],
    "SCHEMA_PATH_PREFIX": "/api",
    "SCHEMA_PATH_PREFIX_TRIM": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is public: a stale token in Swagger UI must not hide it.
    "SERVE_AUTHENTICATION": [],
    "DEFAULT_GENERATOR_CLASS": "conduit.schema.SchemaGenerator",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The 429 of every throttled operation.
        "events.system.security.schema.document_rate_limits",
        "conduit.schema.document_query_strings",  # no NUL in a query parameter
        "conduit.schema.declare_links",  # the identifiers an answer gives to other operations
    ],
}

# The API carries its credentials in the Authorization header, never in cookies. Any origin
# may call it only in development (DEBUG on, no list given); with DEBUG off only the listed
# origins (`https://app.example.com,...`), none when unset.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_ALL_ORIGINS = DEBUG and not CORS_ALLOWED_ORIGINS

# HTTPS (docs/configuration.md, "Production"): off by default so that a plain-HTTP server
# still answers; behind TLS turn them on. SECURE_PROXY_SSL_HEADER is the header and value a
# TLS-terminating proxy sets, `HTTP_X_FORWARDED_PROTO,https`.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER is a header and a value: HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) or None
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
CORS_EXPOSE_HEADERS = ["X-Request-ID"]

JWT_SECRET = env.str("JWT_SECRET", default=SECRET_KEY)
JWT_ALGORITHM = "HS256"
JWT_EXPIRY_SECONDS = env.int("JWT_EXPIRY_SECONDS", default=30 * 24 * 3600)

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# The event system (events/).
EVENTS_MAX_ATTEMPTS = env.int("EVENTS_MAX_ATTEMPTS", default=5)
EVENTS_RETRY_BASE_SECONDS = env.float("EVENTS_RETRY_BASE_SECONDS", default=2.0)
EVENTS_RETRY_MAX_SECONDS = env.float("EVENTS_RETRY_MAX_SECONDS", default=3600.0)
# A worker renews the lease of the deliveries it holds every third of this; a killed worker's
# are run again by another within this plus 5 s (the sweep).
EVENTS_LEASE_SECONDS = env.float("EVENTS_LEASE_SECONDS", default=15.0)
# `make worker` / `manage.py db_worker` runs this many worker processes (several hosts may
# each run theirs: they share one queue). Two drained fastest on a 2-core machine, and left
# the web the most (bench/README.md, "The worker"): about one per core.
WORKER_PROCESSES = env.int("WORKER_PROCESSES", default=2)
# Deliveries a worker claims at once (one claim query and one UPDATE for all of them; a
# batch handler runs once for all of its deliveries among them): 200 drained 1.6x as fast as
# 50 (bench/README.md, "The worker").
EVENTS_WORKER_BATCH = env.int("EVENTS_WORKER_BATCH", default=200)
# An idle worker on PostgreSQL waits on LISTEN as well as polling (off behind a pooler in
# transaction mode, which cannot LISTEN).
EVENTS_WORKER_LISTEN = env.bool("EVENTS_WORKER_LISTEN", default=True)
# How long a worker woken by a commit (or whose queue just ran dry) lets deliveries gather
# before it claims: batches instead of one commit's deliveries at a time (events/worker.py).
EVENTS_WORKER_GATHER_SECONDS = env.float("EVENTS_WORKER_GATHER_SECONDS", default=0.1)
# On SIGTERM the worker claims nothing more and gives the delivery in hand this long to finish
# (below a process manager's own limit: Kubernetes kills after 30 s); then it interrupts it.
EVENTS_SHUTDOWN_GRACE_SECONDS = env.float("EVENTS_SHUTDOWN_GRACE_SECONDS", default=25.0)
# A worker that lost its database waits this long before the first reconnect, doubling the wait
# after each failure up to the maximum (it never gives up; past the maximum it logs errors).
EVENTS_RECONNECT_BASE_SECONDS = env.float("EVENTS_RECONNECT_BASE_SECONDS", default=0.5)
EVENTS_RECONNECT_MAX_SECONDS = env.float("EVENTS_RECONNECT_MAX_SECONDS", default=30.0)
# Run background deliveries in-process right after commit (tests, demos); the worker is
# still the production path.
EVENTS_DELIVER_ON_COMMIT = env.bool("EVENTS_DELIVER_ON_COMMIT", default=False)

# Outbound webhooks (events/system/webhooks/, docs/webhooks.md): a request's timeout, the
# retry schedule (exponential from the base, capped, with jitter) and how long a delivery is
# retried before it is dead, how long an endpoint may fail before it is paused, a rotated
# secret's overlap, the senders' concurrency (in all, and per endpoint, in each worker
# process), the retention of attempts and finished deliveries, and the development switch
# that allows private addresses and plain http:// (never in production).
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
WEBHOOKS_RETRY_BASE_SECONDS = env.float("WEBHOOKS_RETRY_BASE_SECONDS", default=5.0)
WEBHOOKS_RETRY_MAX_SECONDS = env.float("WEBHOOKS_RETRY_MAX_SECONDS", default=4 * 3600.0)
WEBHOOKS_RETRY_PERIOD_SECONDS = env.float("WEBHOOKS_RETRY_PERIOD_SECONDS", default=3 * 86400.0)
WEBHOOKS_PAUSE_AFTER_SECONDS = env.float("WEBHOOKS_PAUSE_AFTER_SECONDS", default=5 * 86400.0)
WEBHOOKS_ROTATION_OVERLAP_SECONDS = env.float("WEBHOOKS_ROTATION_OVERLAP_SECONDS", default=86400.0)
WEBHOOKS_CONCURRENCY = env.int("WEBHOOKS_CONCURRENCY", default=32)
WEBHOOKS_ENDPOINT_CONCURRENCY = env.int("WEBHOOKS_ENDPOINT_CONCURRENCY", default=8)
WEBHOOKS_RETENTION_DAYS = env.int("WEBHOOKS_RETENTION_DAYS", default=30)
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)

METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Analytics (events/system/analytics/): views, searches and traffic are tallied in each process
# and written every ANALYTICS_FLUSH_SECONDS (0: never by itself); a statement slower than
# ANALYTICS_SLOW_QUERY_MS is reported (0: off); more requests in a minute than
# ANALYTICS_HIGH_TRAFFIC_PER_MINUTE, over every process, are reported (0: off).
ANALYTICS_ENABLED = env.bool("ANALYTICS_ENABLED", default=True)
ANALYTICS_FLUSH_SECONDS = env.float("ANALYTICS_FLUSH_SECONDS", default=5.0)
ANALYTICS_SLOW_QUERY_MS = env.float("ANALYTICS_SLOW_QUERY_MS", default=200.0)
ANALYTICS_HIGH_TRAFFIC_PER_MINUTE = env.int("ANALYTICS_HIGH_TRAFFIC_PER_MINUTE", default=10_000)

# Email (the welcome email, users/emails.py; milestone notices to ADMINS, articles/milestones.py),
# sent from the worker. EMAIL_URL as django-environ reads it: smtp://user:password@host:587,
# smtp+tls://..., filemail:////abs/dir (four slashes for an absolute directory), consolemail://
# (printed by the worker: the default with DEBUG on, as under `make run`), memorymail://.
# With DEBUG off it must be set: unset, a server refuses to start, `check --deploy` reports
# it, and a send fails (so a delivery is retried) rather than mail going nowhere. Tests use
# Django's locmem backend.
EMAIL_URL = env.str("EMAIL_URL", default="consolemail://" if DEBUG else "")
_email = environ.Env.email_url_config(EMAIL_URL or "consolemail://")
if not EMAIL_URL:
    _email["EMAIL_BACKEND"] = "conduit.mail.UnconfiguredEmailBackend"
_email_options = {
    "smtp": {
        "host": _email["EMAIL_HOST"],
        "port": _email["EMAIL_PORT"],
        "username": _email["EMAIL_HOST_USER"],
        "password": _email["EMAIL_HOST_PASSWORD"],
        "use_tls": _email.get("EMAIL_USE_TLS"),
        "use_ssl": _email.get("EMAIL_USE_SSL"),
        # A mail server that does not answer fails the delivery (the worker retries it)
        # instead of holding the worker.
        "timeout": _email.get("OPTIONS", {}).get("TIMEOUT", 10),
    },
    "filebased": {"file_path": _email["EMAIL_FILE_PATH"]},
}.get(_email["EMAIL_BACKEND"].split(".")[-2], {})
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {name: value for name, value in _email_options.items() if value is not None},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Conduit <conduit@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[Conduit] "
# The staff told about milestones and alerts (suspicious logins, traffic spikes, spam,
# constraint violations, orphaned data; events/security/alerts.py): comma-separated
# addresses, or "Name <address>" entries.
ADMINS = env.list("ADMINS", default=[])
# Staff hear of every this-many-th article (100th, 200th, ...); 0 turns the notices off.
ARTICLES_MILESTONE_EVERY = env.int("ARTICLES_MILESTONE_EVERY", default=100)

# Security (security/; docs/security.md). The lockout: this many failed logins of one email
# from one address within the window lock that email for that address for
# SECURITY_LOCKOUT_SECONDS; failures from SECURITY_ACCOUNT_LOCK_ADDRESSES distinct addresses
# within the window lock it for every address.
SECURITY_LOCKOUT_FAILURES = env.int("SECURITY_LOCKOUT_FAILURES", default=5)
SECURITY_LOCKOUT_WINDOW_SECONDS = env.int("SECURITY_LOCKOUT_WINDOW_SECONDS", default=900)
SECURITY_LOCKOUT_SECONDS = env.int("SECURITY_LOCKOUT_SECONDS", default=900)
SECURITY_ACCOUNT_LOCK_ADDRESSES = env.int("SECURITY_ACCOUNT_LOCK_ADDRESSES", default=10)
# Credential stuffing: one address failing against this many distinct emails in the window.
SECURITY_STUFFING_ACCOUNTS = env.int("SECURITY_STUFFING_ACCOUNTS", default=10)
SECURITY_STUFFING_WINDOW_SECONDS = env.int("SECURITY_STUFFING_WINDOW_SECONDS", default=600)
# A success from a never-seen address this soon after a lock ended is reported.
SECURITY_NEW_IP_AFTER_LOCK_SECONDS = env.int("SECURITY_NEW_IP_AFTER_LOCK_SECONDS", default=3600)
# A password change ends every older token but the one it came through (as the session that
# changes a password stays signed in on most sites); off: that one ends too.
PASSWORD_CHANGE_KEEPS_TOKEN = env.bool("PASSWORD_CHANGE_KEEPS_TOKEN", default=True)
# Proxies in front of the app that append to X-Forwarded-For (conduit/clients.py); with
# none, the header is ignored, so no client can pick the address it is counted under.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# DRF throttling per scope, counted in the shared cache; RATE_LIMITS=off turns it off (load
# tests, `make bench`), the lockout stays.
RATE_LIMITS = env.bool("RATE_LIMITS", default=True)
RATE_LIMIT_RATES = {
    "login": env.str("RATE_LIMIT_LOGIN", default="120/minute"),
    "registration": env.str("RATE_LIMIT_REGISTRATION", default="120/minute"),
    "writes": env.str("RATE_LIMIT_WRITES", default="120/minute"),
}

# Moderation (events/system/moderation/): the spam scorer's rules and thresholds
# (events/system/moderation/spam.py), and
# how many distinct readers' flags hide an item pending review.
MODERATION_SPAM_FLAG_SCORE = env.int("MODERATION_SPAM_FLAG_SCORE", default=50)
MODERATION_SPAM_HIDE_SCORE = env.int("MODERATION_SPAM_HIDE_SCORE", default=80)
MODERATION_FLAGS_TO_HIDE = env.int("MODERATION_FLAGS_TO_HIDE", default=3)
MODERATION_SPAM_FREE_LINKS = env.int("MODERATION_SPAM_FREE_LINKS", default=2)
MODERATION_SPAM_LINK_POINTS = env.int("MODERATION_SPAM_LINK_POINTS", default=15)
MODERATION_BLOCKLIST = env.list(
    "MODERATION_BLOCKLIST",
    default=["viagra", "casino", "payday loan", "crypto giveaway", "work from home"],
)
MODERATION_SPAM_BLOCKLIST_POINTS = env.int("MODERATION_SPAM_BLOCKLIST_POINTS", default=40)
MODERATION_SPAM_REPEAT_MINUTES = env.int("MODERATION_SPAM_REPEAT_MINUTES", default=10)
MODERATION_SPAM_REPEAT_POINTS = env.int("MODERATION_SPAM_REPEAT_POINTS", default=30)
MODERATION_SPAM_SHOUTING_MIN_LETTERS = env.int("MODERATION_SPAM_SHOUTING_MIN_LETTERS", default=20)
MODERATION_SPAM_SHOUTING_PERCENT = env.int("MODERATION_SPAM_SHOUTING_PERCENT", default=70)
MODERATION_SPAM_SHOUTING_POINTS = env.int("MODERATION_SPAM_SHOUTING_POINTS", default=25)

# The benchmark's app (bench/): GET /api/_bench/floor, its constant page, and `seed_bench`.
# Installed for development and tests (DEBUG) and wherever the floor is on (bench/run.sh); a
# production server has neither the page nor a command that can empty its database.
BENCH_FLOOR_ENABLED = env.bool("BENCH_FLOOR_ENABLED", default=False)
BENCH_ENABLED = env.bool("BENCH_ENABLED", default=DEBUG or BENCH_FLOOR_ENABLED)
if BENCH_FLOOR_ENABLED and not BENCH_ENABLED:
    raise ImproperlyConfigured("BENCH_FLOOR_ENABLED needs the bench app: leave BENCH_ENABLED on.")
if BENCH_ENABLED:
    INSTALLED_APPS.append("bench")

# Logs: "text" (readable; the default with DEBUG on, as under `make run`) or "json" (one
# object a line; the default with DEBUG off); every line carries the request id
# (conduit/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))

# Readiness (GET /ready, conduit/health.py): a worker writes its heartbeat every
# WORKER_HEARTBEAT_SECONDS and counts as gone after READY_WORKER_SILENCE_SECONDS without one;
# the oldest due delivery may wait READY_BACKLOG_MAX_AGE_SECONDS.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=30.0)
READY_WORKER_SILENCE_SECONDS = env.float("READY_WORKER_SILENCE_SECONDS", default=120.0)
READY_BACKLOG_MAX_AGE_SECONDS = env.float("READY_BACKLOG_MAX_AGE_SECONDS", default=300.0)
