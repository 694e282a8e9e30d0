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
# A token lookup (one indexed read of auth_token by its unique hash, joined to its user) would
# cost a round trip on every request: each process keeps the answer for CACHE_TTL by the
# injected clock. Logout, "log out everywhere", profile changes and account deletion evict at
# once in the process that handled them; another process may still accept a revoked token (or
# show the old name) for at most CACHE_TTL. A cached token is still refused from its own
# expiry on.
CACHE_TTL = dt.timedelta(seconds=30)
_CACHE_MAX = 50_000
# token hash → (answer valid until, the token's expiry, its user or None for an unknown token)
_cache: dict[str, tuple[dt.datetime, dt.datetime | None, CurrentUser | None]] = {}
_revoked: set[str] = set()  # digests revoked here: never cached again (a revoked token is never valid)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    display_name: str
    locale: str
    timezone: str
    is_admin: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(user_id: int, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    await repository.insert_token(user_id, hash_token(token), now, now + TOKEN_LIFETIME)
    return token


async def revoke_token(token: str) -> None:
    digest = hash_token(token)
    # a lookup that read the row before the DELETE must not cache it afterwards: this process
    # remembers the revoked digest for as long as a cache entry could live
    if len(_revoked) >= _CACHE_MAX:
        _revoked.clear()
    _revoked.add(digest)
    _cache.pop(digest, None)
    await repository.delete_token(digest)
    _cache.pop(digest, None)


def forget_user(user_id: int) -> None:
    """Evict every cached token of a user (logout everywhere, deletion)."""
    for digest, (_, _, user) in list(_cache.items()):
        if user is not None and user.id == user_id:
            _cache.pop(digest, None)


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
    digest = hash_token(token)
    cached = _cache.get(digest)
    if cached is not None and now < cached[0]:
        _, expires_at, user = cached
        return user if user is not None and expires_at is not None and now < expires_at else None
    row = await repository.token_with_user(digest)
    user, expires_at = None, None
    if row and row["user.deleted_at"] is None:
        expires_at = row["expires_at"]
        user = CurrentUser(
            id=row["user.id"], email=row["user.email"], display_name=row["user.display_name"],
            locale=row["user.locale"], timezone=row["user.timezone"], is_admin=row["user.is_admin"],
        )
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    if digest not in _revoked:
        _cache[digest] = (now + CACHE_TTL, expires_at, user)
    return user if expires_at is not None and now < expires_at else None


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
    "CACHE_TTL", "CurrentUser", "SESSION_COOKIE", "issue_token", "revoke_token", "forget_user", "hash_token",
    "optional_user", "required_user", "admin_user", "is_organizer_of", "organizer_community_ids",
]
