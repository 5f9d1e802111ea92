"""Failed logins racing each other lock the account exactly once. Real threads against the test
database: on PostgreSQL the account's row lock serialises the decisions; SQLite serialises
every write transaction, so there it proves the same outcome."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from events.models import EventRecord
from events.system.security.models import AccountLock, LoginAttempt
from events.system.security.tests.conftest import LOGIN
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 10


def test_failed_logins_sent_at_once_lock_the_account_exactly_once():
    alice = UserFactory(username="alice", email="alice@example.com")
    barrier = threading.Barrier(THREADS)
    statuses: list[int | Exception] = [0] * THREADS

    def fail(index: int) -> None:
        try:
            client = APIClient()
            body = {"user": {"email": "alice@example.com", "password": f"wrong {index}"}}
            barrier.wait()
            statuses[index] = client.post(LOGIN, body, format="json").status_code
        except Exception as exc:  # reported by the assertion below
            statuses[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=fail, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(statuses) <= {401, 429}, statuses
    assert EventRecord.objects.filter(type="events.UserAccountLocked").count() == 1
    lock = AccountLock.objects.get()
    assert lock.user_id == alice.pk
    assert lock.failures >= 5
    # Every refusal after the lock was a 429, and every attempt is on record.
    assert statuses.count(429) == LoginAttempt.objects.filter(outcome="locked").count()
    assert LoginAttempt.objects.count() == THREADS
