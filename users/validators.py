"""The rules a username, an email and a password must follow, shared by the API, the services
and the admin."""

import re
import unicodedata

from django.core.exceptions import ValidationError

from conduit.patterns import EMAIL

USERNAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
# Letters, digits, ".", "_" and "-": safe in a URL path segment. A name of dots only would
# read as "." or ".." in /api/profiles/<username>, which clients normalise away.
USERNAME_PATTERN = re.compile(r"^(?!\.+\Z)[\w.-]+\Z")


def normalize_username(username: str) -> str:
    # NFKC folds compatibility look-alikes (full-width letters, ligatures) into plain ones.
    return unicodedata.normalize("NFKC", username.strip())


def normalize_email(email: str) -> str:
    return email.strip().lower()


def is_valid_username(username: str) -> bool:
    return len(username) <= USERNAME_MAX_LENGTH and bool(USERNAME_PATTERN.match(username))


def is_valid_email(email: str) -> bool:
    """The API's rule (conduit.patterns.EMAIL, which its schema states), for every path."""
    return len(email) <= EMAIL_MAX_LENGTH and re.fullmatch(EMAIL, email) is not None


# NIST SP 800-63B: at least 8 characters, no composition rules, and room for passphrases (at
# least 64 must be accepted). The maximum only bounds the work of hashing one attempt.
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 256


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, in RealWorld's words; None when it is acceptable.
    Length counts characters (code points), not bytes."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"is too short (minimum is {PASSWORD_MIN_LENGTH} characters)"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"is too long (maximum is {PASSWORD_MAX_LENGTH} characters)"
    return None


class PasswordPolicyValidator:
    """The same rule for Django's own password forms and commands (the admin's add-user and
    change-password forms, `createsuperuser`, `changepassword`), via AUTH_PASSWORD_VALIDATORS."""

    def validate(self, password: str, user: object = None) -> None:
        problem = password_problem(password)
        if problem is not None:
            raise ValidationError(f"This password {problem}.", code="password_policy")

    def get_help_text(self) -> str:
        return (
            f"Your password must contain {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} "
            "characters; any characters will do."
        )
