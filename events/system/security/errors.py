from rest_framework import status

from conduit.errors import DomainError, retry_after


class AccountLocked(DomainError):
    """Too many failed logins: the account refuses every login, the right password included,
    until its lock ends (429 with Retry-After)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_key = "credentials"
    default_message = "too many failed attempts, try again later"

    def __init__(self, *, retry_after_seconds: float) -> None:
        super().__init__()
        self.retry_after_seconds = retry_after_seconds

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": retry_after(self.retry_after_seconds)}


class LoginUnavailable(DomainError):
    """The lock of a login could not be decided or recorded (the database refused it): the
    login fails rather than going unguarded (503, fail closed)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_key = "credentials"
    default_message = "cannot be checked now, try again later"
