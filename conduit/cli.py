"""manage.py's entry point: a configuration's common mistakes end with one actionable line on
standard error and exit status 1, not a traceback.

- A setting refused at start (ImproperlyConfigured: a URL with a scheme not understood, a
  missing key) is that message, which names its variable.
- A database that does not exist or cannot be reached names DATABASE_URL, its password hidden.
  runserver and migrate try the connection before they start (runserver's autoreloader would
  otherwise print the traceback from a thread and keep waiting); any other command that fails
  to connect ends the same way.
Any other exception keeps its traceback: it is a bug to read, not a mistake to correct.
"""

import sys
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line
from django.db import OperationalError

# Commands that need the database before they do anything else.
CONNECT_FIRST = {"runserver", "migrate"}


def describe_database() -> str:
    """The default database as a URL, its password hidden: postgres://user:***@host:5432/name."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    scheme = db["ENGINE"].rsplit(".", 1)[-1].replace("postgresql", "postgres")
    user = quote(db.get("USER") or "")
    credentials = f"{user}{':***' if db.get('PASSWORD') else ''}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"{scheme}://{credentials}{db.get('HOST') or ''}{port}/{db['NAME']}"


def database_error_line(error: Exception) -> str:
    reason = " ".join(str(error).split()).removeprefix("connection failed: ").rstrip(".")
    reason += "" if reason.endswith("?") else "."
    return (
        f"error: the database in DATABASE_URL ({describe_database()}) cannot be used: {reason} "
        "Start that server, create the database (createdb NAME), or point DATABASE_URL at "
        "one that exists."
    )


def _connect_first(argv: list[str]) -> None:
    if len(argv) > 1 and argv[1] in CONNECT_FIRST and "--help" not in argv and "-h" not in argv:
        import django
        from django.db import connection

        django.setup()
        connection.ensure_connection()
        connection.close()


def main(argv: list[str]) -> None:
    try:
        _connect_first(argv)
        execute_from_command_line(argv)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"error: {' '.join(str(error).split())}\n")
        sys.exit(1)
    except OperationalError as error:
        from django.db import connection

        if connection.connection is not None:
            raise  # connected, then a statement failed: not a configuration mistake
        sys.stderr.write(database_error_line(error) + "\n")
        sys.exit(1)
