"""The admin's login (/admin/login/) through the same service as POST /users/login, so it
meets the same lockout, audit and notices (docs/security.md)."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from conduit.clients import client_ip, user_agent
from conduit.errors import DomainError, InvalidCredentials
from users.models import User
from users.services import user_login


class LoginServiceBackend(ModelBackend):
    """Django's ModelBackend (permissions, `get_user`) whose credential check is
    users.services.user_login. A refusal other than wrong credentials (a locked email, a
    lock that cannot be decided) raises PermissionDenied, which stops Django from asking any
    other backend; the form answers as for a wrong password, so it tells nothing."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username if username is not None else kwargs.get(User.USERNAME_FIELD)
        if email is None or password is None:
            return None
        try:
            return user_login(
                email=email,
                password=password,
                client_ip=client_ip(request) if request is not None else "",
                user_agent=user_agent(request) if request is not None else "",
            )
        except InvalidCredentials:
            return None
        except DomainError as refusal:
            raise PermissionDenied(str(refusal)) from refusal
