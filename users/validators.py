"""The rules a username and an email must follow, shared by the API, the services and admin."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

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
    if len(email) > EMAIL_MAX_LENGTH:
        return False
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True
