"""On PostgreSQL the server binds the parameters and keeps the plans of the statements a
connection runs again and again (`DATABASE_PREPARED_STATEMENTS`, conduit/settings.py); off,
every statement is sent as text and parsed and planned anew, as a transaction-mode pooler
needs.

PostgreSQL only (`pytest.mark.postgresql`): SQLite has no server to prepare anything."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from users.models import User
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_a_statement_run_five_times_on_a_connection_is_prepared_once():
    users = [UserFactory() for _ in range(6)]

    for user in users:
        assert User.objects.filter(pk=user.pk).exists()

    found = [
        sql
        for sql in prepared_statements()
        if sql.endswith('FROM "users_user" WHERE "users_user"."id" = $2 LIMIT 1')
    ]
    # One statement for the six lookups, its parameters bound by the server.
    assert found == ['SELECT $1 AS "a" FROM "users_user" WHERE "users_user"."id" = $2 LIMIT 1']


def test_off_the_statements_go_as_text_with_nothing_prepared():
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = os.environ | {"DATABASE_URL": url, "DATABASE_PREPARED_STATEMENTS": "off"}
    script = (
        "import json, django; django.setup();"
        "from django.conf import settings; from django.db import connection;"
        "[connection.cursor().execute('SELECT 1') for _ in range(6)];"
        "rows = connection.cursor().execute('SELECT count(*) FROM pg_prepared_statements');"
        "print(json.dumps({'options': settings.DATABASES['default'].get('OPTIONS', {}),"
        " 'prepared': rows.fetchone()[0]}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen == {"options": {}, "prepared": 0}
    assert settings.DATABASES["default"]["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
