"""Rules for strings that the server enforces and the OpenAPI schema states, written once, in
the regular expressions both Python's `re` and JSON Schema (ECMA-262) read alike: no `\\s`
(the two disagree on which characters are whitespace), no lookbehind, `^...$` anchors (the
server strips a value, or matches it whole, so a trailing newline is never a difference)."""

# What str.isspace() calls whitespace, so str.strip() removes: what "blank" means here.
WHITESPACE = (
    r"\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029"
    r"\u202f\u205f\u3000"
)
# Unicode's control characters (category Cc).
CONTROL = r"\u0000-\u001f\u007f-\u009f"

# No NUL anywhere (PostgreSQL's text cannot hold one; DRF and conduit.middleware refuse it).
NO_NUL = r"^[^\u0000]*$"
# Not blank: at least one character that is not whitespace, and no NUL.
NOT_BLANK = rf"^[^\u0000]*[^{WHITESPACE}\u0000][^\u0000]*$"
# Not blank, and no control character at all (a tag name).
NOT_BLANK_NO_CONTROL = rf"^[^{CONTROL}]*[^{WHITESPACE}{CONTROL}][^{CONTROL}]*$"

# The patterns below match a value whole once the server has trimmed it (conduit.fields.
# PatternField); `padded` is what the schema states, whitespace around allowed.
_HOST = r"(localhost|([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
# An address: a dot-atom local part, a host name with a top-level domain of letters.
EMAIL = (
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
# An image's address: http(s), a host name, an optional port, then no whitespace or control.
HTTP_URL = rf"https?://{_HOST}(:[0-9]{{1,5}})?([/?#][^{WHITESPACE}{CONTROL}]*)?"
# Letters, digits (Unicode's, after NFKC), ".", "_" and "-"; not dots only (users.validators).
USERNAME = rf"(?!\.+[{WHITESPACE}]*$)[\w.-]+"


def padded(pattern: str) -> str:
    """`pattern`, with whitespace around it, as a value is sent before the server trims it."""
    return rf"^[{WHITESPACE}]*{pattern}[{WHITESPACE}]*$"
