# ruff: noqa: RUF001, RUF002, RUF003 - look-alike letters are what this module is about
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


# Cyrillic and Greek letters that look like Latin ones (lower case: keys are case-folded
# first, so the capitals that look alike, А В Е Н К М О Р С Т Х, arrive here lowered).
LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "н": "h", "і": "i", "ї": "i",
        "ј": "j", "к": "k", "ӏ": "l", "м": "m", "о": "o", "р": "p", "ԛ": "q", "с": "c",
        "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԝ": "w", "ԁ": "d", "ь": "b",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "m", "ν": "v",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ζ": "z", "ϲ": "c",
    }
)  # fmt: skip


def username_key(username: str) -> str:
    """What two usernames that must not coexist share: NFKC-normalised, case-folded (and
    normalised again, as folding can undo it), with Cyrillic and Greek look-alikes read as
    the Latin letters they imitate. `alice`, `ALICE`, `Ａｌｉｃｅ` and an all-Cyrillic
    `аlісе` have one key; unique in the database (User.username_key)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())
    return folded.translate(LOOKALIKES)


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    for script in ("LATIN", "CYRILLIC", "GREEK"):
        if name.startswith(script):
            return script
    return "OTHER"


MIXED_SCRIPTS = "can't mix Latin letters with Cyrillic or Greek ones"


def mixes_lookalike_scripts(username: str) -> bool:
    """Whether `username` mixes Latin letters with Cyrillic or Greek ones, the way a name
    imitating another does (`alicе` with a Cyrillic `е`)."""
    scripts = {_script(char) for char in username}
    return "LATIN" in scripts and bool(scripts & {"CYRILLIC", "GREEK"})


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
