"""Standard Webhooks signing (https://www.standardwebhooks.com): secrets are `whsec_` and
base64 of 24 random bytes; a message is signed as `v1,` and base64 of HMAC-SHA256, keyed with
the secret's bytes, over `{webhook-id}.{webhook-timestamp}.{body}`. Several signatures (a
rotation's overlap) are separated by spaces. docs/webhooks.md shows the receiving side."""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(signature(secret, msg_id, timestamp, body) for secret in secrets_)
