"""The session and CSRF cookies, and the ASGI middleware that guards cookie-authenticated writes.

A POST/PUT/PATCH/DELETE that carries the `alveole_session` cookie must echo the `alveole_csrf`
cookie in an `X-CSRF-Token` header (or, for urlencoded forms, a `csrf_token` field); the cookie
is an HMAC of the session token under the secret key, so a cookie planted by a sibling site
cannot be paired with someone else's session. Outside `/api/` (the pages' forms) a request
whose `Origin` — or, without one, `Referer` — names another site is refused as well.

Only an `/api/` request authenticated by `Authorization: Bearer …` skips the check: a browser
never adds a bearer token by itself (a cross-site page cannot without a CORS preflight we never
grant), whereas it does add `Authorization: Basic`/`Negotiate` behind HTTP Basic or intranet
SSO — such a header changes nothing here. Anonymous requests and the exempt paths (API login,
register, the Stripe webhook) pass; the pages check their anonymous forms' own token
(`web.kit.form_token_ok`).
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from litestar.datastructures import Cookie

from accounts.auth import SESSION_COOKIE, TOKEN_LIFETIME
from kernel import cookies
from kernel.asgi import Cookies, Receive, Scope, Send, send_problem
from kernel.settings import secure_cookies
from kernel.settings import Settings

CSRF_COOKIE = cookies.CSRF  # names as sent: `kernel.cookies.cookie_name` (`__Host-` over https)
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT_PATHS = frozenset({
    "/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/payments/stripe/webhook",
    "/api/v1/sms/twilio/webhook",
})
_FORM_TYPE = b"application/x-www-form-urlencoded"
_MAX_FORM_BYTES = 1_000_000



def csrf_token_for(session_token: str, secret_key: str) -> str:
    """The CSRF token that goes with a session (also what web forms render as `csrf_token`)."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(),
                    hashlib.sha256).hexdigest()


def session_cookies(session_token: str, settings: Settings) -> list[Cookie]:
    """Set at login: the HttpOnly session cookie and the script-readable CSRF cookie."""
    common: dict[str, Any] = dict(path="/", samesite="lax", secure=secure_cookies(settings),
                                  max_age=int(TOKEN_LIFETIME.total_seconds()))
    return [
        Cookie(key=cookies.cookie_name(SESSION_COOKIE, settings), value=session_token, httponly=True, **common),
        Cookie(key=cookies.cookie_name(CSRF_COOKIE, settings),
               value=csrf_token_for(session_token, settings.secret_key), httponly=False, **common),
    ]


def cleared_cookies(settings: Settings) -> list[Cookie]:
    """Set at logout and account deletion: both cookies expired."""
    common: dict[str, Any] = dict(path="/", samesite="lax", secure=secure_cookies(settings), max_age=0,
                                  expires=0)
    return [Cookie(key=cookies.cookie_name(SESSION_COOKIE, settings), value="", httponly=True, **common),
            Cookie(key=cookies.cookie_name(CSRF_COOKIE, settings), value="", httponly=False, **common)]


def is_bearer(authorization: bytes | str) -> bool:
    """Whether an Authorization header value is a bearer token (the scheme is case-insensitive)."""
    value = authorization.decode("latin-1") if isinstance(authorization, bytes) else authorization
    scheme, _, token = value.strip().partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def origin_is_ours(sent: str, host: str, scheme: str, settings: Settings | None) -> bool:
    """Whether an `Origin` or `Referer` value names this site, scheme included: the configured
    public origin (`ALVEOLE_BASE_URL`, which a proxy's rewritten Host cannot hide), and when no
    base URL was set, the request's own (its scheme and Host). `null` is never ours."""
    parts = urlsplit(sent.strip())
    if not parts.netloc:
        return False
    ours: set[tuple[str, str]] = set()
    if settings is not None:
        base = urlsplit(settings.base_url)
        ours.add((base.scheme.lower(), base.netloc.lower()))
    if settings is None or not settings.base_url_explicit:
        ours.add((scheme.lower(), host.strip().lower()))
    return (parts.scheme.lower(), parts.netloc.lower()) in ours


class CSRFMiddleware:
    """ASGI middleware; wire it with `DefineMiddleware(CSRFMiddleware)`: the secret key is the
    serving runtime's (`scope["app"].state.runtime.settings`), read per request, unless given."""

    def __init__(self, app: Callable[..., Awaitable[None]], secret_key: str | None = None,
                 exempt_paths: Iterable[str] = EXEMPT_PATHS,
                 html_page: Callable[[Scope, int], tuple[bytes, list[tuple[bytes, bytes]]] | None] | None = None
                 ) -> None:
        self.app = app
        self.secret_key = secret_key
        self.exempt_paths = frozenset(exempt_paths)
        # a browser's refused form outside /api/ gets this page (web.kit.error_page_asgi)
        self.html_page = html_page

    def _secret_key(self, scope: Scope) -> str:
        return self.secret_key or scope["app"].state.runtime.settings.secret_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS
                or scope["path"] in self.exempt_paths):
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.lower(), value)
        page = not scope["path"].startswith("/api/")
        if page and not self._same_site(scope, headers):
            await self._refuse(scope, send)
            return
        # An API request with a bearer token is authenticated by it, not by the cookie.
        if (not page and is_bearer(headers.get(b"authorization", b""))) or b"cookie" not in headers:
            await self.app(scope, receive, send)
            return
        # the same parser as authentication (accounts.auth.token_from): what is checked here
        # is what authenticates; a session cookie sent twice is refused, never guessed at
        jar = Cookies.of_headers(scope["headers"])
        settings = self._settings(scope)
        session_name = cookies.cookie_name(SESSION_COOKIE, settings)
        if not jar.present(session_name):
            await self.app(scope, receive, send)
            return
        session = jar.get(session_name)
        submitted = headers.get(CSRF_HEADER.encode(), b"")
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if not submitted and content_type == _FORM_TYPE:
            field, receive = await self._form_field(receive)
            submitted = field.encode("utf-8", "replace")
        cookie = (jar.get(cookies.cookie_name(CSRF_COOKIE, settings)) or "").encode("latin-1", "replace")
        # bytes on both sides: any header or field value compares (and fails) without error
        if (session and submitted and hmac.compare_digest(submitted, cookie)
                and hmac.compare_digest(cookie, csrf_token_for(session, self._secret_key(scope)).encode())):
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, send)

    def _same_site(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        """A page's form comes from this site: its `Origin` (else its `Referer`), when the
        browser sends one, names this host or the configured base URL's. `Origin: null` says
        nothing here — a browser sends it for a same-origin POST from a page with
        `Referrer-Policy: no-referrer` (the emailed links' pages) — and the session-bound token
        checked next still decides (anonymous forms stay strict: `web.kit.form_token_ok`)."""
        origin = headers.get(b"origin")
        if origin is not None and origin.strip().lower() == b"null":
            origin = None
        sent = origin or headers.get(b"referer")
        if sent is None:
            return True  # no browser we know of omits both on a cross-site POST with a body
        return origin_is_ours(sent.decode("latin-1"), headers.get(b"host", b"").decode("latin-1"),
                              str(scope.get("scheme") or "http"), self._settings(scope))

    @staticmethod
    def _settings(scope: Scope) -> Settings | None:
        """The serving runtime's settings (None on a bare ASGI app, as in its unit test)."""
        runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
        return runtime.settings if runtime is not None else None

    async def _form_field(self, receive: Receive) -> tuple[str, Receive]:
        """Read the form body to find `csrf_token`, then hand the app a replay of it."""
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > _MAX_FORM_BYTES or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        field = ""
        if size <= _MAX_FORM_BYTES:
            values = parse_qs(body.decode("latin-1"), keep_blank_values=True)
            field = (values.get(CSRF_FORM_FIELD) or [""])[0]
        pending = list(messages)

        async def replay() -> dict[str, Any]:
            return pending.pop(0) if pending else await receive()

        return field, replay

    async def _refuse(self, scope: Scope, send: Send) -> None:
        page = self.html_page(scope, 403) if self.html_page is not None else None
        if page is not None:
            body, headers = page
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await send_problem(
            send, 403, "forbidden", "Not allowed",
            "Missing or wrong CSRF token (or the session cookie was sent twice): send the "
            "alveole_csrf cookie's value in the X-CSRF-Token header (or a csrf_token form "
            "field), or use a bearer token.", scope["path"])
