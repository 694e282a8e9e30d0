"""The one-time links of accounts: `verify_email` (48 h) and `password_reset` (1 h).

A link's token is never stored. The use case draws a random `nonce`, stores the SHA-256 of
`token_of(secret_key, purpose, nonce)` with the user, purpose, expiry and `used_at`, and puts
only the nonce in the outbox row; the email is rendered with the token derived again from the
nonce and the secret key. A copy of the database alone (without ALVEOLE_SECRET_KEY) holds no
usable link until the message is rendered (the outbox keeps rendered bodies for retries: see
docs/http.md).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"
LIFETIMES = {VERIFY_EMAIL: dt.timedelta(hours=48), PASSWORD_RESET: dt.timedelta(hours=1)}
TOKEN_MAX = 200  # longer than any token we make: refused before hashing


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def token_of(secret_key: str, purpose: str, nonce: str) -> str:
    mac = hmac.new(secret_key.encode(), f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def verify_url(base_url: str, token: str) -> str:
    return f"{base_url}/verify/{token}"


def reset_url(base_url: str, token: str) -> str:
    return f"{base_url}/reset/{token}"
