"""When the database connection ended under a request or the worker (a PostgreSQL restart, a
failover, a pooler's recycle, `pg_terminate_backend`): how to tell, and how a read that follows
a committed write still answers. Imports nothing but Django."""

from collections.abc import Callable

from django.db import DatabaseError, connections
from django.db.utils import InterfaceError, OperationalError

# Errors that may mean the connection ended (connection_ended tells).
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def connection_ended(exc: BaseException) -> bool:
    """Whether a database error means the connection ended (rather than a statement failing):
    the driver's own error says so (PostgreSQL's class 08 "connection exception" and 57P
    "operator intervention", a libpq error with no SQLSTATE, a closed connection), or a
    connection no longer answers. (Django may have opened a fresh one already, as it leaves an
    atomic block whose connection died.)"""
    if not isinstance(exc, CONNECTION_ERRORS):
        return False
    if isinstance(exc, InterfaceError):
        return True
    cause = exc.__cause__ or exc
    sqlstate = getattr(cause, "sqlstate", "")  # psycopg's errors have one; SQLite's do not
    if sqlstate is None or sqlstate.startswith(("08", "57P")):
        return True
    for conn in connections.all(initialized_only=True):
        try:
            if conn.connection is not None and not conn.is_usable():
                return True
        except Exception:  # the driver's own errors, not wrapped by Django here
            return True
    return False


def close_connections() -> None:
    """Drop this thread's connections; a broken one may fail to close, which is no news."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except DatabaseError:
            conn.connection = None
        conn.in_atomic_block = False
        conn.needs_rollback = False
        conn.savepoint_ids = []


def read_after_write[T](read: Callable[[], T]) -> T:
    """Run a read that follows a committed write in the same request. If the connection ended
    since the commit, the write stands: read again on a fresh connection rather than report a
    done write as failed (a 500)."""
    try:
        return read()
    except CONNECTION_ERRORS as exc:
        if not connection_ended(exc):
            raise
    close_connections()
    return read()
