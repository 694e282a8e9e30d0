"""What every HTML page of the app shares: rendering a template in the visitor's language with
the security headers, POST → redirect → GET with a flash message, the language choice, the
stylesheet served by the app, and friendly HTML error pages outside `/api/`.

- Templates extend `templates/base.html`; a page gets `viewer` (a `Viewer`: language, the
  user or None, the CSRF token its forms carry, the flash message, the current path) and
  `static_url`. Pages are autoescaped and hold no JavaScript.
- The flash message is a short cookie (`alveole_flash`) holding an English msgid signed with
  the secret key (HMAC-SHA256), set on the redirect and cleared by the next page rendered:
  only the server chooses what it says (a query parameter could be forged in a link and would
  stay in bookmarks), and it is translated when shown, in the language of that page.
- Language: the `alveole_lang` cookie (the switch in every page's header) first, then the
  logged-in user's `locale`, then `Accept-Language`.
- Security headers: a Content-Security-Policy allowing only this origin's stylesheets and
  images (no script at all), no framing, nosniff, `Cache-Control: no-store` (pages carry a
  per-visitor CSRF token and the user's name).
- Errors: `html_error_handlers` wraps the problem+json handlers of `kernel.problems`: a
  browser (Accept names text/html) asking a path outside `/api/` gets a page in its language
  with the same status; API paths and API clients keep the problem+json.

This module imports no domain package: the CSRF token and the user are given to it.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.response import Redirect

from kernel.asgi import Cookies
from kernel.errors import NotFound, ValidationFailed
from kernel.ids import is_id
from kernel.i18n import LANGUAGES, environment, language_of, page_language
from kernel.settings import PROJECT_ROOT, Settings

# Litestar appends "; charset=utf-8" to text/* media types itself: never name one here
HTML = "text/html"
LANGUAGE_COOKIE = "alveole_lang"
FLASH_COOKIE = "alveole_flash"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
STATIC_DIR = PROJECT_ROOT / "static"
_STATIC_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,60}\.(css|svg|png)")
_STATIC_TYPES = {"css": "text/css", "svg": "image/svg+xml", "png": "image/png"}
YEAR = 365 * 24 * 3600

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Vary": "Accept, Accept-Language, Cookie",
}


def N_(msgid: str) -> str:
    """Marks a msgid for `pybabel extract` where it is chosen in code and translated in a template."""
    return msgid


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: what base.html and every form need."""

    language: str
    csrf_token: str
    user: Any = None  # accounts.auth.CurrentUser, or None for a visitor
    flash: str | None = None  # an English msgid, translated when shown
    path: str = "/"  # this page's path and query, where the language switch comes back to
    cookies: list[Cookie] = field(default_factory=list)  # set with the page (CSRF, flash cleared)

    @property
    def other_language(self) -> str:
        return "fr" if self.language == "en" else "en"


# ------------------------------------------------------------------------------------ language

def chosen_language(request: Request, user_locale: str | None = None) -> str:
    """The `alveole_lang` cookie, else the user's locale, else Accept-Language."""
    chosen = Cookies.of_headers(request.headers).get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if user_locale:
        return language_of(user_locale)
    return page_language(request.headers.get("accept-language"))


def language_cookie(language: str, settings: Settings) -> Cookie:
    return Cookie(key=LANGUAGE_COOKIE, value=language, path="/", max_age=YEAR, httponly=True,
                  samesite="lax", secure=secure_cookies(settings))


def secure_cookies(settings: Settings) -> bool:
    """Cookies are `Secure` in production and whenever the site is served over https."""
    return settings.is_prod or settings.base_url.startswith("https://")


# --------------------------------------------------------------------------------------- flash

def _sign(value: str, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"flash:" + value.encode(), hashlib.sha256).hexdigest()[:32]


def flash_cookie(msgid: str, settings: Settings) -> Cookie:
    encoded = base64.urlsafe_b64encode(msgid.encode()).decode().rstrip("=")
    return Cookie(key=FLASH_COOKIE, value=f"{encoded}.{_sign(encoded, settings.secret_key)}", path="/",
                  max_age=300, httponly=True, samesite="lax", secure=secure_cookies(settings))


def read_flash(request: Request, settings: Settings) -> str | None:
    """The flash message the last redirect left, if its signature holds."""
    raw = Cookies.of_headers(request.headers).get(FLASH_COOKIE) or ""
    encoded, _, signature = raw.partition(".")
    if not encoded or not hmac.compare_digest(signature.encode("utf-8", "replace"),
                                              _sign(encoded, settings.secret_key).encode()):
        return None
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return None


def cleared_flash(settings: Settings) -> Cookie:
    return Cookie(key=FLASH_COOKIE, value="", path="/", max_age=0, expires=0, httponly=True,
                  samesite="lax", secure=secure_cookies(settings))


# ------------------------------------------------------------------------------------ rendering

def render(settings: Settings, viewer: Viewer, template: str, *, status: int = 200,
           **values: Any) -> Response:
    """A page: the template rendered in the viewer's language, with the security headers."""
    env = environment(settings.templates_dir, viewer.language, True)
    html = env.get_template(template).render(viewer=viewer, static_url=static_url, **values)
    return Response(html, status_code=status, media_type=HTML, cookies=list(viewer.cookies),
                    headers={**SECURITY_HEADERS, "Content-Language": viewer.language})


def see_other(location: str, settings: Settings, *, flash: str | None = None,
              cookies: list[Cookie] | None = None) -> Redirect:
    """POST → redirect → GET: a 303 to `location` (a path of this site), with a flash message."""
    jar = list(cookies or [])
    if flash:
        jar.append(flash_cookie(flash, settings))
    return Redirect(path=safe_next(location), status_code=303, cookies=jar,
                    headers={"Cache-Control": "no-store"})


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def form_of(request: Request) -> Any:
    """A page's posted form. Another kind of body (JSON…) is a 400 (problem+json for an API
    client, the error page for a browser): a page's POST takes a form only."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORM_TYPES:
        raise ValidationFailed("body: this page takes a form (application/x-www-form-urlencoded)", errors=[
            {"field": "body", "message": "a form is expected", "source": "body"}])
    return await request.form()


def path_id(text: str) -> int:
    """A page path's id as the API reads one (plain digits: `01`, `+1`, `1_0` or `²` name
    nothing), else NotFound — the page's own 404, where an `:int` parameter would get the
    request guard's problem+json."""
    number = int(text) if re.fullmatch(r"[1-9][0-9]{0,9}", text) else 0
    if not is_id(number):
        raise NotFound("No such page.")
    return number


def safe_next(value: str | None, default: str = "/") -> str:
    """A path of this site to go back to: never another origin (`//evil`, `https://…`, `/\\…`)."""
    if (not value or not value.startswith("/") or value.startswith("//") or "\\" in value
            or any(ord(c) < 32 for c in value) or len(value) > 2000):
        return default
    return value


def query_string(values: Mapping[str, Any], **changes: Any) -> str:
    """`?a=1&b=2` from the given values (empty ones left out), with some changed."""
    merged = {**values, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "")}
    return f"?{urlencode(kept)}" if kept else ""


# -------------------------------------------------------------------------------------- static

@functools.lru_cache(maxsize=32)
def _asset(name: str) -> tuple[bytes, str] | None:
    path = STATIC_DIR / name
    if not _STATIC_NAME.fullmatch(name) or not path.is_file():
        return None
    content = path.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:12]


def static_url(name: str) -> str:
    """The URL of a file of `static/`, versioned by its content so it may be cached for a year."""
    asset = _asset(name)
    return f"/static/{name}" + (f"?v={asset[1]}" if asset else "")


def _static_response(name: str) -> Response:
    asset = _asset(name)
    if asset is None:
        raise NotFound("No such file.")
    content, version = asset
    return Response(content, media_type=_STATIC_TYPES[name.rsplit(".", 1)[1]], headers={
        "Cache-Control": f"public, max-age={YEAR}, immutable", "ETag": f'"{version}"',
        "X-Content-Type-Options": "nosniff"})


@get("/static/alveole.css", include_in_schema=False, sync_to_thread=False)
def stylesheet() -> Response:
    """The one stylesheet of the pages (no external request is ever needed); any other
    /static/ path is a 404."""
    return _static_response("alveole.css")


ROUTES = [stylesheet]


# -------------------------------------------------------------------------------- error pages

def wants_html(request: Request) -> bool:
    """Browsers name text/html in Accept; API clients (and `*/*`) get problem+json."""
    return "text/html" in request.headers.get("accept", "").lower()


_ERROR_TITLES = {
    400: N_("Something is wrong with this request"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not allowed"),
    429: N_("Too many attempts"),
    500: N_("Sorry, something went wrong"),
}
_ERROR_TEXTS = {
    400: N_("The address or the form sent is not valid. Go back and try again."),
    401: N_("You need to log in to see this page."),
    403: N_("You are not allowed to do this. If you followed a form, go back, reload the page and try again."),
    404: N_("There is no page at this address. Check the address, or start again from the home page."),
    405: N_("This address does not take that kind of request."),
    429: N_("Too many attempts in a short time. Wait a few minutes and try again."),
    500: N_("Something went wrong on our side. It has been logged; please try again later."),
}


def _error_key(status: int) -> int:
    return status if status in _ERROR_TITLES else 500 if status >= 500 else 404 if status == 410 else 400


def _error_values(status: int) -> dict[str, Any]:
    key = _error_key(status)
    return {"heading": _ERROR_TITLES[key], "text": _ERROR_TEXTS[key], "status_code": status}


def error_page(request: Request, settings: Settings, status: int, *,
               headers: Mapping[str, str] | None = None) -> Response:
    """A friendly page for an error status, in the visitor's language (cookie, Accept-Language)."""
    viewer = Viewer(language=chosen_language(request), csrf_token="", path="/")
    response = render(settings, viewer, "errors/error.html", status=status, **_error_values(status))
    for name, value in (headers or {}).items():
        if name.lower() in ("retry-after", "allow"):
            response.headers[name] = value
    return response


def html_error_handlers(handlers: Mapping[Any, Callable[[Request, Any], Response]],
                        settings: Settings, api_prefix: str = "/api/") -> dict[Any, Any]:
    """The same handlers, answering an HTML page instead of problem+json to a browser on a
    path outside `api_prefix` (the problem handler still runs first: it logs what is unexpected)."""

    def wrap(handler: Callable[[Request, Any], Response]) -> Callable[[Request, Any], Response]:
        def handle(request: Request, exc: Any) -> Response:
            response = handler(request, exc)
            if request.url.path.startswith(api_prefix) or not wants_html(request):
                return response
            return error_page(request, settings, response.status_code, headers=response.headers)

        return handle

    return {kind: wrap(handler) for kind, handler in handlers.items()}


def error_page_asgi(settings: Settings, scope: dict[str, Any], status: int,
                    api_prefix: str = "/api/") -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    """For a middleware answering without the framework: the error page (body, ASGI headers)
    when a browser asks a path outside `api_prefix`, else None (the problem+json stays)."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    if scope["path"].startswith(api_prefix) or "text/html" not in headers.get("accept", "").lower():
        return None
    jar = Cookies.of_headers(scope["headers"])
    chosen = jar.get(LANGUAGE_COOKIE)
    language = chosen if chosen in LANGUAGES else page_language(headers.get("accept-language"))
    html = environment(settings.templates_dir, language, True).get_template("errors/error.html").render(
        viewer=Viewer(language=language, csrf_token=""), static_url=static_url, **_error_values(status))
    body = html.encode()
    return body, [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                  (b"content-language", language.encode()),
                  *((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items())]
