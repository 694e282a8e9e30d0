"""What every HTML page shares (the web layer's kit): the `Viewer` and its dependency, the one
login guard, rendering a template in the visitor's language with the security headers,
POST → redirect → GET with a flash message, the language choice, the stylesheet, friendly HTML
error pages outside `/api/`, and the form, id and formatting helpers every page module uses.

- Templates are package data of `web` (`web/templates/`, found through `importlib.resources`)
  and extend `base.html`; a page gets `viewer` (a `Viewer`: language, the user or None, the
  CSRF token its forms carry, the flash message, the current path) and `static_url`. Pages are
  autoescaped and hold no JavaScript.
- Login: the page router's `user` dependency (`signed_in`) raises `LoginRequired` for a
  visitor, which `login_redirect` answers with a 303 to `/login?next=<path>` (a GET page: the
  handler's own path, or the `back_to` its decorator names for a POST); the API's `user`
  dependency (`accounts.auth.required_user`) answers 401 problem+json instead.
- The flash message is a short cookie (`alveole_flash`) holding an English msgid signed with
  the secret key (HMAC-SHA256), set on the redirect and cleared by the next page rendered:
  only the server chooses what it says, and it is translated when shown.
- Language: the `alveole_lang` cookie (the switch in every page's header) first, then the
  logged-in user's `locale`, then `Accept-Language`.
- Security headers: a Content-Security-Policy allowing only this origin's stylesheets and
  images (no script at all), no framing, nosniff, `Cache-Control: no-store`.
- Errors: `html_error_handlers` wraps the problem+json handlers of `kernel.problems`: a
  browser (Accept names text/html) asking a path outside `/api/` gets a page in its language
  with the same status; API paths and API clients keep the problem+json.

Nothing here keeps a `Settings`: each request reads `request.app.state.runtime.settings`, so
one app can serve runtimes built later (the tests build the app once).
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, get_currency_precision
from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.response import Redirect

from accounts.auth import SESSION_COOKIE, CurrentUser, optional_user
from accounts.csrf import CSRF_COOKIE, CSRF_FORM_FIELD, csrf_token_for, origin_is_ours
from kernel import cookies
from kernel.asgi import Cookies
from kernel.cookies import cookie_name
from kernel.errors import Forbidden, NotFound, ValidationFailed
from kernel.i18n import LANGUAGES, environment, language_of, page_language, translations
from kernel.ids import is_id
from kernel.settings import Settings, secure_cookies
from workshops import service as workshops_service

# Litestar appends "; charset=utf-8" to text/* media types itself: never name one here
HTML = "text/html"
LANGUAGE_COOKIE = cookies.LANGUAGE  # names as sent: cookie_name (`__Host-` over https)
FLASH_COOKIE = cookies.FLASH
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
STATIC_DIR = files("web") / "static"
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


# The labels of workshops.rules.CATEGORY_KEYS (and "other"), in the pages' language
CATEGORY_LABELS = {
    "cooking": N_("Cooking"), "repair": N_("Repair"), "gardening": N_("Gardening"), "digital": N_("Digital"),
    "crafts": N_("Crafts"), "languages": N_("Languages"), "music": N_("Music"), "wellbeing": N_("Wellbeing"),
    "other": N_("Other"),
}


@jinja2.pass_environment
def category_label(env: jinja2.Environment, category: str) -> str:
    """The `category` filter of the pages: a category key in the page's language; a host's own
    words as typed."""
    msgid = CATEGORY_LABELS.get(category)
    return translations(env.globals["lang"]).gettext(msgid) if msgid else category  # type: ignore[arg-type]


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: what base.html and every form need."""

    language: str
    csrf_token: str
    user: Any = None  # accounts.auth.CurrentUser, or None for a visitor
    flash: str | None = None  # an English msgid, translated when shown
    flash_notice: bool = False  # the flash tells of a refusal, not a success
    path: str = "/"  # this page's path and query, where the language switch comes back to
    cookies: list[Cookie] = field(default_factory=list)  # set with the page (CSRF, flash cleared)
    organizes: bool = False  # the header's Moderation and Dashboard links (organizers, admins)
    waiting: int = 0  # what waits for their moderation (submitted workshops, pending revisions)
    login_next: str = ""  # an error page to a visitor: the header's Log in comes back here

    @property
    def other_language(self) -> str:
        return "fr" if self.language == "en" else "en"


# ------------------------------------------------------------------------------------ language

def chosen_language(request: Request, user_locale: str | None = None) -> str:
    """The `alveole_lang` cookie, else the user's locale, else Accept-Language."""
    chosen = Cookies.of_headers(request.headers).get(cookie_name(LANGUAGE_COOKIE, settings_of(request)))
    if chosen in LANGUAGES:
        return chosen
    if user_locale:
        return language_of(user_locale)
    return page_language(request.headers.get("accept-language"))


def language_cookie(language: str, settings: Settings) -> Cookie:
    return Cookie(key=cookie_name(LANGUAGE_COOKIE, settings), value=language, path="/", max_age=YEAR, httponly=True,
                  samesite="lax", secure=secure_cookies(settings))


# ---------------------------------------------------------------------------------- community

COMMUNITY_COOKIE = cookies.COMMUNITY


def remembered_community(request: Request) -> str | None:
    """The slug of the community this browser chose last (the `alveole_community` cookie)."""
    slug = Cookies.of_headers(request.headers).get(cookie_name(COMMUNITY_COOKIE, settings_of(request))) or ""
    return slug if re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", slug) else None


def community_cookie(slug: str, settings: Settings) -> Cookie:
    return Cookie(key=cookie_name(COMMUNITY_COOKIE, settings), value=slug, path="/", max_age=YEAR,
                  httponly=True, samesite="lax", secure=secure_cookies(settings))


# --------------------------------------------------------------------------------------- flash

def _sign(value: str, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"flash:" + value.encode(), hashlib.sha256).hexdigest()[:32]


NOTICE_MARK = "!"  # a flash that tells of a refusal or a no-op, not a success: shown as a notice


def flash_cookie(msgid: str, settings: Settings, notice: bool = False) -> Cookie:
    encoded = base64.urlsafe_b64encode(((NOTICE_MARK if notice else "") + msgid).encode()).decode().rstrip("=")
    return Cookie(key=cookie_name(FLASH_COOKIE, settings), value=f"{encoded}.{_sign(encoded, settings.secret_key)}", path="/",
                  max_age=300, httponly=True, samesite="lax", secure=secure_cookies(settings))


def read_flash(request: Request, settings: Settings) -> str | None:
    """The flash message the last redirect left, if its signature holds."""
    raw = Cookies.of_headers(request.headers).get(cookie_name(FLASH_COOKIE, settings)) or ""
    encoded, _, signature = raw.partition(".")
    if not encoded or not hmac.compare_digest(signature.encode("utf-8", "replace"),
                                              _sign(encoded, settings.secret_key).encode()):
        return None
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return None


def cleared_flash(settings: Settings) -> Cookie:
    return Cookie(key=cookie_name(FLASH_COOKIE, settings), value="", path="/", max_age=0, expires=0, httponly=True,
                  samesite="lax", secure=secure_cookies(settings))


# ------------------------------------------------------------------------------------ rendering

def render(viewer: Viewer, template: str, *, status: int = 200,
           **values: Any) -> Response:
    """A page: the template rendered in the viewer's language, with the security headers."""
    env = environment("web", viewer.language, True)
    env.filters.setdefault("category", category_label)
    html = env.get_template(template).render(viewer=viewer, static_url=static_url, **values)
    return Response(html, status_code=status, media_type=HTML, cookies=list(viewer.cookies),
                    headers={**SECURITY_HEADERS, "Content-Language": viewer.language})


def see_other(location: str, settings: Settings, *, flash: str | None = None,
              cookies: list[Cookie] | None = None, notice: bool = False) -> Redirect:
    """POST → redirect → GET: a 303 to `location` (a path of this site), with a flash message
    (`notice`: one that says what was refused or changed nothing, not styled as a success)."""
    jar = list(cookies or [])
    if flash:
        jar.append(flash_cookie(flash, settings, notice))
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
    if not _STATIC_NAME.fullmatch(name):
        return None
    path = STATIC_DIR / name
    if not path.is_file():
        return None
    content = path.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:12]


def static_url(name: str) -> str:
    """The URL of a file of `web/static/`, versioned by its content so it may be cached for a year."""
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


def error_page(request: Request, status: int, *,
               headers: Mapping[str, str] | None = None) -> Response:
    """A friendly page for an error status, in the visitor's language (cookie, Accept-Language)."""
    # a visitor (no session cookie) may have followed an emailed link to a page that is theirs
    # once logged in: the header offers Log in, back to this page
    settings = settings_of(request)
    visitor = not Cookies.of_headers(request.headers).get(cookie_name(SESSION_COOKIE, settings))
    viewer = Viewer(language=chosen_language(request), csrf_token="", path="/",
                    login_next=safe_next(here(request)) if visitor and request.method == "GET" else "")
    response = render(viewer, "errors/error.html", status=status, **_error_values(status))
    for name, value in (headers or {}).items():
        if name.lower() in ("retry-after", "allow"):
            response.headers[name] = value
    return response


def html_error_handlers(handlers: Mapping[Any, Callable[[Request, Any], Response]],
                        api_prefix: str = "/api/") -> dict[Any, Any]:
    """The same handlers, answering an HTML page instead of problem+json to a browser on a
    path outside `api_prefix` (the problem handler still runs first: it logs what is unexpected)."""

    def wrap(handler: Callable[[Request, Any], Response]) -> Callable[[Request, Any], Response]:
        def handle(request: Request, exc: Any) -> Response:
            response = handler(request, exc)
            if request.url.path.startswith(api_prefix) or not wants_html(request):
                return response
            return error_page(request, response.status_code, headers=response.headers)

        return handle

    return {kind: wrap(handler) for kind, handler in handlers.items()}


def error_page_asgi(scope: dict[str, Any], status: int,
                    api_prefix: str = "/api/") -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    """For a middleware answering without the framework: the error page (body, ASGI headers)
    when a browser asks a path outside `api_prefix`, else None (the problem+json stays)."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    if scope["path"].startswith(api_prefix) or "text/html" not in headers.get("accept", "").lower():
        return None
    jar = Cookies.of_headers(scope["headers"])
    runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
    chosen = jar.get(cookie_name(LANGUAGE_COOKIE, runtime.settings if runtime is not None else None))
    language = chosen if chosen in LANGUAGES else page_language(headers.get("accept-language"))
    html = environment("web", language, True).get_template("errors/error.html").render(
        viewer=Viewer(language=language, csrf_token=""), static_url=static_url, **_error_values(status))
    body = html.encode()
    return body, [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                  (b"content-language", language.encode()),
                  *((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items())]


# ------------------------------------------------------------------------- the viewer and login

def settings_of(request: Request) -> Settings:
    """The settings of the runtime serving this request (never kept by the web layer)."""
    return request.app.state.runtime.settings


def _anonymous_token(request: Request) -> tuple[str, list[Cookie]]:
    """The double-submit token of a visitor without a session: their cookie, or a new one."""
    settings = settings_of(request)
    current = Cookies.of_headers(request.headers).get(cookie_name(CSRF_COOKIE, settings))
    if current and len(current) >= 32 and current.isalnum():
        return current, []
    token = secrets.token_hex(32)
    return token, [Cookie(key=cookie_name(CSRF_COOKIE, settings), value=token, path="/", samesite="lax",
                          httponly=False, secure=secure_cookies(settings))]


def page_viewer(request: Request, user: CurrentUser | None) -> Viewer:
    """Language, user, CSRF token and flash message of the page being answered."""
    settings = settings_of(request)
    cookies: list[Cookie] = []
    session = Cookies.of_headers(request.headers).get(cookie_name(SESSION_COOKIE, settings))
    if session:  # whatever Authorization says: the middleware checks the session's token
        token = csrf_token_for(session, settings.secret_key)
    else:
        token, cookies = _anonymous_token(request)
    flash = read_flash(request, settings)
    flash_notice = bool(flash) and flash.startswith(NOTICE_MARK)
    if flash_notice:
        flash = flash[len(NOTICE_MARK):]
    if Cookies.of_headers(request.headers).present(cookie_name(FLASH_COOKIE, settings)):
        cookies.append(cleared_flash(settings))
    organizes, waiting = request.state.get(NAV_STATE, (False, 0)) if user is not None else (False, 0)
    return Viewer(language=chosen_language(request, user.locale if user else None), csrf_token=token,
                  user=user, flash=flash, flash_notice=flash_notice, path=here(request), cookies=cookies,
                  organizes=organizes, waiting=waiting)


def here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


class LoginRequired(Exception):
    """A visitor asked a page for logged-in people: `login_redirect` sends them to log in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_required(next_path: str) -> LoginRequired:
    return LoginRequired(next_path)


NAV_STATE = "organizer_nav"


async def _with_nav(request: Request, user: CurrentUser | None) -> CurrentUser | None:
    """A page shown to a logged-in user carries the header's organizer links and count
    (`workshops_service.organizer_nav`: one query), read before the handler, kept in the
    request's state for `page_viewer`. A POST answers with a redirect: nothing to show."""
    if user is not None and request.method == "GET":
        request.state[NAV_STATE] = await workshops_service.organizer_nav(user)
    return user


async def maybe_signed_in(request: Request) -> CurrentUser | None:
    """The page router's `maybe_user` dependency: the user or None, with the header's links."""
    return await _with_nav(request, await optional_user(request))


async def signed_in(request: Request) -> CurrentUser:
    """The page router's `user` dependency — the one login guard of the pages: the user, else
    `LoginRequired` back to this page (a GET), or for a POST to the GET page its handler names
    with `back_to` (a path template over the path parameters, or a function of them)."""
    user = await _with_nav(request, await optional_user(request))
    if user is not None:
        return user
    back_to = request.route_handler.opt.get("back_to")
    if back_to is None:
        raise LoginRequired(here(request))
    params = {name: str(value) for name, value in request.path_params.items()}
    raise LoginRequired(back_to(params) if callable(back_to) else back_to.format(**params))


async def signed_in_admin(request: Request) -> CurrentUser:
    """The admin pages' `user` dependency: an admin (else the login guard's redirect, or 403)."""
    user = await signed_in(request)
    if not user.is_admin:
        raise Forbidden("Only admins manage communities.")
    return user


def login_redirect(request: Request, exc: LoginRequired) -> Response:
    """The exception handler of `LoginRequired`: 303 to `/login?next=<page>` with a flash."""
    return see_other("/login?" + urlencode({"next": safe_next(exc.next_path)}), settings_of(request),
                     flash=N_("Log in to continue."))


UserDep = NamedDependency[CurrentUser]
MaybeUserDep = NamedDependency[CurrentUser | None]


def form_token_ok(request: Request, form: Any) -> bool:
    """Whether an anonymous form's `csrf_token` matches the visitor's cookie (with a session
    cookie the middleware has already checked it)."""
    jar = Cookies.of_headers(request.headers)
    settings = settings_of(request)
    if jar.present(cookie_name(SESSION_COOKIE, settings)):
        return True
    sent = request.headers.get("origin") or request.headers.get("referer")
    if sent is not None and not origin_is_ours(sent, request.headers.get("host", ""), request.url.scheme,
                                               settings):
        return False  # a form posted from another origin (a sibling subdomain that planted the cookie)
    cookie, sent = jar.get(cookie_name(CSRF_COOKIE, settings)) or "", str(form.get(CSRF_FORM_FIELD) or "")
    return bool(cookie and sent) and hmac.compare_digest(cookie.encode(), sent.encode())


def refuse_without_token(request: Request, form: Any) -> None:
    """403 (a page for a browser, problem+json for others) when an anonymous form's token is wrong."""
    if not form_token_ok(request, form):
        raise Forbidden("Missing or wrong CSRF token: reload the form and send it again.")


# ----------------------------------------------------------------------------------- form values

def text_of(form: Any, name: str, limit: int = 25_000) -> str:
    return str(form.get(name) or "")[:limit]


def whole_number(text: str) -> int | None:
    """A form's integer (digits only), else None."""
    text = text.strip()
    return int(text) if re.fullmatch(r"\d{1,9}", text) else None


def decimal_number(text: str) -> float | None:
    """A form's decimal number, with a point or a comma (`48,87`), else None."""
    text = text.strip().replace(",", ".")
    if not re.fullmatch(r"-?\d{1,4}(\.\d{1,12})?", text):
        return None
    return float(text)


def in_order(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The errors in the form's order, so the summary reads as the page does."""
    return {name: errors[name] for name in fields if name in errors}


MAX_PAGE = 1000


def page_number(text: str | None) -> int:
    """A list's `?page=` (1 to MAX_PAGE), else the first page."""
    return int(text) if text and re.fullmatch(r"\d{1,4}", text) and 0 < int(text) <= MAX_PAGE else 1


# ------------------------------------------------------------------------------------ formatting

def zone_of(name: str | None) -> dt.tzinfo:
    """A time zone by name; UTC for none or one since removed from tzdata."""
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError, OSError, ZoneInfoNotFoundError):
        return dt.UTC


def moment(value: dt.datetime, zone: dt.tzinfo | None, language: str) -> str:
    """A date and time as the pages write them, in `zone` (None: the value's own)."""
    local = value.astimezone(zone) if zone is not None else value
    return f"{format_date(local, 'full', locale=language)}, {format_time(local, 'short', locale=language)}"


def span(starts_at: dt.datetime, ends_at: dt.datetime, zone: dt.tzinfo | None,
         language: str) -> tuple[str, str]:
    """Start and end in `zone` (None: their own): the end shows only its time on the same day."""
    start = starts_at.astimezone(zone) if zone is not None else starts_at
    end = ends_at.astimezone(zone) if zone is not None else ends_at
    if end.date() == start.date():
        return moment(start, None, language), format_time(end, "short", locale=language)
    return moment(start, None, language), moment(end, None, language)


def session_when(session: Any, language: str) -> tuple[str, str]:
    """A session's start and end in the session's own zone (its datetimes already are)."""
    return span(session.starts_at, session.ends_at, None, language)


def when_for(start: dt.datetime, end: dt.datetime, language: str, zone_name: str) -> tuple[str, str]:
    """Start and end as `session_when` writes them, in the viewer's time zone."""
    return span(start, end, zone_of(zone_name), language)


def money(cents: int, currency: str, language: str) -> str:
    """An amount in minor units as the language writes it (`7,50 €`, `€7.50`)."""
    code = currency.upper()
    return format_currency(Decimal(cents).scaleb(-get_currency_precision(code)), code, locale=language)


def average_text(average: float, language: str) -> str:
    """A rating's average with one decimal."""
    return format_decimal(round(average, 1), format="0.0", locale=language)

