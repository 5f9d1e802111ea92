"""Rules for the prose users write (titles, descriptions, bodies, comments), shared by the
services of every app that stores some."""

import unicodedata

# A line break and a tab belong in prose; no other control character does (NUL cannot even
# be stored in PostgreSQL text, and a bell or an escape sequence is never meant for readers).
ALLOWED_CONTROLS = frozenset("\n\t")
CONTROL_CHARACTERS = "can't contain control characters"


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a control character (Unicode category Cc) other than a newline
    or a tab."""
    return any(unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROLS for char in text)
