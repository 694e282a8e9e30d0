"""Who is asking: bearer tokens and session cookies, stored as SHA-256 hashes, and the guards."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from litestar.connection import ASGIConnection

from accounts import repository
from kernel import cookies
from kernel.asgi import Cookies
from kernel.errors import Forbidden, NotAuthenticated

SESSION_COOKIE = cookies.SESSION  # its name as sent: `kernel.cookies.cookie_name` (`__Host-` over https)
TOKEN_LIFETIME = dt.timedelta(days=30)
# Every request reads its token's row (one seek in the unique index on token_hash, joined to
# its user by primary key): no process keeps an answer of its own. Logout, "log out
# everywhere", a password change or reset and account deletion delete rows, so they refuse
# the tokens at once in every process, and a verification done in one process lets the
# neighbour book through any other at once. There used to be a 30 s per-process cache that
# saved this statement; checking a per-user generation column on each cached hit would cost a
# round trip all the same, so the cache went. Measured through the test client on a loaded
# 2-core machine (GET /api/v1/me, 300 requests): SQLite 2.1-3.4 ms per request, of which this
# lookup 0.34-0.76 ms; PostgreSQL 8.7 ms, of which 3.0 ms (with the cache, earlier that day on
# a quieter machine: 1.3 ms and 3.0 ms per request).


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    display_name: str
    locale: str
    timezone: str
    is_admin: bool
    email_verified: bool = True


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(user_id: int, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    await repository.insert_token(user_id, hash_token(token), now, now + TOKEN_LIFETIME)
    return token


async def issue_token_if_password_is(user_id: int, now: dt.datetime, password_hash: str) -> str | None:
    """A login's new session token, or None (and nothing written) when the account's password is
    no longer the one just checked: a reset or change committed meanwhile."""
    token = secrets.token_urlsafe(32)
    written = await repository.insert_token_if_password(user_id, hash_token(token), now, now + TOKEN_LIFETIME,
                                                        password_hash)
    return token if written else None


async def revoke_token(token: str) -> None:
    await repository.delete_token(hash_token(token))


def token_from(connection: ASGIConnection) -> str | None:
    """A bearer token, else the session cookie. Another Authorization scheme (HTTP Basic or
    Negotiate that a browser adds by itself behind a proxy) is not ours: the cookie counts."""
    header = connection.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip() or None
    # kernel.asgi.Cookies, the parser the CSRF middleware uses: a duplicated session cookie
    # authenticates no one
    name = cookies.cookie_name(SESSION_COOKIE, connection.app.state.runtime.settings)
    return Cookies.of_headers(connection.headers).get(name) or None


async def user_for_token(token: str, now: dt.datetime) -> CurrentUser | None:
    row = await repository.token_with_user(hash_token(token))
    if not row or row["user.deleted_at"] is not None or not now < row["expires_at"]:
        return None
    return CurrentUser(
        id=row["user.id"], email=row["user.email"], display_name=row["user.display_name"],
        locale=row["user.locale"], timezone=row["user.timezone"], is_admin=row["user.is_admin"],
        email_verified=row["user.email_verified_at"] is not None,
    )


# The dependencies' parameter is named `request`: Litestar injects the connection only under a
# reserved name (any other name would be read as a query parameter).
async def optional_user(request: ASGIConnection) -> CurrentUser | None:
    """Litestar dependency: the authenticated user, or None for anonymous requests."""
    token = token_from(request)
    if token is None:
        return None
    return await user_for_token(token, request.app.state.runtime.clock.now())


async def required_user(request: ASGIConnection) -> CurrentUser:
    """Litestar dependency: the authenticated user, or 401 `not-authenticated`."""
    user = await optional_user(request)
    if user is None:
        raise NotAuthenticated("Log in and send 'Authorization: Bearer <token>'.")
    return user


async def admin_user(request: ASGIConnection) -> CurrentUser:
    """Litestar dependency: an admin, or 401 / 403 `forbidden`."""
    user = await required_user(request)
    if not user.is_admin:
        raise Forbidden("Only an admin may do this.")
    return user


async def organizer_community_ids(user_id: int) -> set[int]:
    return await repository.organizer_community_ids(user_id)


async def is_organizer_of(user: CurrentUser, community_id: int) -> bool:
    return community_id in await organizer_community_ids(user.id)


__all__ = [
    "CurrentUser", "SESSION_COOKIE", "issue_token", "issue_token_if_password_is", "revoke_token", "hash_token",
    "optional_user", "required_user", "admin_user", "is_organizer_of", "organizer_community_ids",
]
