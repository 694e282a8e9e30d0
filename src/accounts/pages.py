"""The account pages: sign up (`/signup`), log in (`/login`), log out (`POST /logout`), the
language switch (`POST /language`) and my account (`/me/account`: profile, language, time zone,
the personal calendar link and its reset, the data export, deleting the account), plus
`page_viewer`, what every page handler of the app asks first (language, user, CSRF token,
flash message).

Thin handlers over `accounts.service`, the same functions as the JSON API. Forms work without
JavaScript (POST → 303 → GET); a refused form is shown again with an error summary at the top
and a message next to each field, in the visitor's language.

CSRF: with a session cookie the middleware (`accounts.csrf`) checks the `csrf_token` field
against the session's token. A visitor without a session gets a random `alveole_csrf` cookie
with the first page and its forms carry the same value (double submit): the anonymous forms
(sign up, log in, language) refuse a post whose field does not match the cookie, so another
site cannot log a visitor into an account of its choosing. A double submit alone does not stop
a sibling subdomain that can plant the cookie, so these posts must also come from this origin
when the browser says where they come from (`Origin`, sent by every current browser on a POST).
"""
from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency

from accounts import privacy, rules, schemas, service
from accounts.auth import SESSION_COOKIE, CurrentUser, token_from
from accounts.controllers import client_ip
from accounts.csrf import (
    CSRF_COOKIE,
    CSRF_FORM_FIELD,
    cleared_cookies,
    csrf_token_for,
    session_cookies,
)
from accounts.errors import EmailTaken
from kernel.asgi import Cookies
from kernel.errors import Forbidden, InvalidCredentials, RateLimited, ValidationFailed
from kernel.http import RuntimeDep
from kernel.i18n import LANGUAGES
from kernel.pages import (
    N_,
    Viewer,
    chosen_language,
    cleared_flash,
    language_cookie,
    read_flash,
    render,
    safe_next,
    secure_cookies,
    see_other,
    wants_html,
)
from kernel.runtime import Runtime

MaybeUserDep = NamedDependency[CurrentUser | None]
DEFAULT_TIMEZONE = "Europe/Paris"
SIGNUP_FIELDS = ("display_name", "email", "password", "locale", "timezone")

# What a refused field says, next to it and in the summary (msgids, translated in the page)
FIELD_MESSAGES = {
    "display_name": N_("Enter your name, as neighbours will see it."),
    "email": N_("Enter an email address, like name@example.org."),
    "password": N_("Choose a password of 8 to 256 characters."),
    "timezone": N_("Enter a time zone such as Europe/Paris."),
    "locale": N_("Choose English or French."),
}
EMAIL_TAKEN = N_("An account already uses this email address: log in instead.")
BAD_CREDENTIALS = N_("The email address or the password is not right.")
TOO_MANY = N_("Too many attempts in a short time. Wait a few minutes and try again.")
LOGIN_MISSING = {"email": N_("Enter your email address."), "password": N_("Enter your password.")}
ACCOUNT_FIELDS = ("display_name", "bio", "skills", "locale", "timezone")
ACCOUNT_MESSAGES = {
    **FIELD_MESSAGES,
    "bio": N_("Write at most 2000 characters, without control characters."),
    "skills": N_("List at most 20 skills separated by commas, each of at most 40 characters."),
}


# ----------------------------------------------------------------------------------- the viewer

def _anonymous_token(request: Request) -> tuple[str, list[Cookie]]:
    """The double-submit token of a visitor without a session: their cookie, or a new one."""
    current = Cookies.of_headers(request.headers).get(CSRF_COOKIE)
    if current and len(current) >= 32 and current.isalnum():
        return current, []
    token = secrets.token_hex(32)
    return token, [Cookie(key=CSRF_COOKIE, value=token, path="/", samesite="lax", httponly=False,
                          secure=secure_cookies(request.app.state.settings))]


def page_viewer(request: Request, runtime: Runtime, user: CurrentUser | None) -> Viewer:
    """Language, user, CSRF token and flash message of the page being answered."""
    settings = runtime.settings
    cookies: list[Cookie] = []
    session = Cookies.of_headers(request.headers).get(SESSION_COOKIE)
    if session and "authorization" not in request.headers:
        token = csrf_token_for(session, settings.secret_key)
    else:
        token, cookies = _anonymous_token(request)
    flash = read_flash(request, settings)
    if Cookies.of_headers(request.headers).present("alveole_flash"):
        cookies.append(cleared_flash(settings))
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Viewer(language=chosen_language(request, user.locale if user else None), csrf_token=token,
                  user=user, flash=flash, path=path, cookies=cookies)


def login_redirect(request: Request, runtime: Runtime, next_path: str | None = None) -> Response:
    """What a page for logged-in people answers a visitor: 303 to `/login?next=<this page>`
    (or `next_path`, e.g. the GET page a refused POST came from), with a flash message."""
    here = next_path or (request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return see_other("/login?" + urlencode({"next": safe_next(here)}), runtime.settings,
                     flash=N_("Log in to continue."))


def form_token_ok(request: Request, form: Any) -> bool:
    """Whether an anonymous form's `csrf_token` matches the visitor's cookie (with a session
    cookie the middleware has already checked it)."""
    jar = Cookies.of_headers(request.headers)
    if jar.present(SESSION_COOKIE):
        return True
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        return False  # a form posted from another origin (a sibling subdomain that planted the cookie)
    cookie, sent = jar.get(CSRF_COOKIE) or "", str(form.get(CSRF_FORM_FIELD) or "")
    return bool(cookie and sent) and hmac.compare_digest(cookie.encode(), sent.encode())


def _text(form: Any, name: str, limit: int = 1000) -> str:
    return str(form.get(name) or "")[:limit]


def _refuse_without_token(request: Request, form: Any) -> None:
    """403 (a page for a browser, problem+json for others) when an anonymous form's token is wrong."""
    if not form_token_ok(request, form):
        raise Forbidden("Missing or wrong CSRF token: reload the form and send it again.")


# ---------------------------------------------------------------------------------------- signup

async def _default_timezone() -> str:
    communities = await service.list_communities(1, 0)
    return communities.items[0].timezone if communities.items else DEFAULT_TIMEZONE


@get("/signup", include_in_schema=False)
async def signup_form(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    viewer = page_viewer(request, runtime, maybe_user)
    values = {"display_name": "", "email": "", "locale": viewer.language, "timezone": await _default_timezone()}
    return render(runtime.settings, viewer, "accounts/signup.html", values=values, errors={}, summary=[])


def _signup_errors(values: dict[str, str], password: str) -> dict[str, str]:
    """The rules of accounts (the same as the API's), field by field."""
    found = (rules.email_errors(values["email"]) + rules.password_errors(password)
             + rules.profile_errors(display_name=values["display_name"], timezone=values["timezone"]))
    errors = {e.field: FIELD_MESSAGES.get(e.field, FIELD_MESSAGES["email"]) for e in found}
    if values["locale"] not in LANGUAGES:
        errors["locale"] = FIELD_MESSAGES["locale"]
    return errors


@post("/signup", include_in_schema=False)
async def signup(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    form = await request.form()
    settings = runtime.settings
    _refuse_without_token(request, form)
    values = {name: _text(form, name).strip() for name in ("display_name", "email", "locale", "timezone")}
    password = _text(form, "password", 1000)
    errors = _signup_errors(values, password)
    summary: list[str] = []
    if not errors:
        try:
            data = msgspec.convert({**values, "password": password}, schemas.UserCreate)
            await service.register(runtime, data, client_ip(request))
            token, user = await service.login(runtime, data.email, password, client_ip(request))
        except msgspec.ValidationError as exc:  # a length the rules above do not check
            field = next((f for f in FIELD_MESSAGES if f"$.{f}" in str(exc)), "email")
            errors[field] = FIELD_MESSAGES[field]
        except EmailTaken:
            errors["email"] = EMAIL_TAKEN
        except ValidationFailed as exc:
            for item in exc.extra.get("errors", []):
                errors[item["field"]] = FIELD_MESSAGES.get(item["field"], FIELD_MESSAGES["email"])
        except RateLimited:
            summary.append(TOO_MANY)
        else:
            return see_other("/", settings, flash=N_("Welcome! Your account is ready and you are logged in."),
                             cookies=[*session_cookies(token, settings), language_cookie(user.locale, settings)])
    errors = {name: errors[name] for name in SIGNUP_FIELDS if name in errors}  # in the form's order
    viewer = page_viewer(request, runtime, maybe_user)
    return render(settings, viewer, "accounts/signup.html", status=429 if summary else 400,
                  values=values, errors=errors, summary=summary)


# ----------------------------------------------------------------------------------------- login

@get("/login", include_in_schema=False)
async def login_form(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    viewer = page_viewer(request, runtime, maybe_user)
    return render(runtime.settings, viewer, "accounts/login.html", values={"email": ""}, errors={},
                  summary=[], next=safe_next(request.query_params.get("next")))


@post("/login", include_in_schema=False)
async def login(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    form = await request.form()
    settings = runtime.settings
    _refuse_without_token(request, form)
    email, password = _text(form, "email").strip(), _text(form, "password")
    destination = safe_next(_text(form, "next"))
    given = {"email": email, "password": password}
    errors = {name: msgid for name, msgid in LOGIN_MISSING.items() if not given[name]}
    summary: list[str] = []
    status = 400
    if not errors:
        try:
            token, _user = await service.login(runtime, email, password, client_ip(request))
        except InvalidCredentials:
            summary.append(BAD_CREDENTIALS)
            status = 401
        except RateLimited:
            summary.append(TOO_MANY)
            status = 429
        else:
            return see_other(destination, settings, flash=N_("You are logged in."),
                             cookies=session_cookies(token, settings))
    viewer = page_viewer(request, runtime, maybe_user)
    return render(settings, viewer, "accounts/login.html", status=status, values={"email": email},
                  errors=errors, summary=summary, next=destination)


@post("/logout", include_in_schema=False)
async def logout(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """Revokes the session (the middleware has checked the CSRF token) and clears its cookies."""
    settings = runtime.settings
    if maybe_user is None:
        return see_other("/", settings)
    await service.logout(token_from(request) or "")
    return see_other("/", settings, flash=N_("You are logged out."), cookies=cleared_cookies(settings))


# -------------------------------------------------------------------------------------- language

@post("/language", include_in_schema=False)
async def choose_language(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """Remembers the language in the `alveole_lang` cookie (and the user's locale), then goes back."""
    form = await request.form()
    settings = runtime.settings
    _refuse_without_token(request, form)
    language = _text(form, "lang")
    if language not in LANGUAGES:
        raise ValidationFailed("lang: en or fr", errors=[{"field": "lang", "message": "en or fr", "source": "body"}])
    if maybe_user is not None and maybe_user.locale != language:
        await service.update_me(runtime, maybe_user.id, schemas.UserUpdate(locale=language))
    return see_other(_text(form, "next", 2000), settings, cookies=[language_cookie(language, settings)])


# ------------------------------------------------------------------------------------ my account

def _account_values(user: schemas.User) -> dict[str, str]:
    return {"display_name": user.display_name, "bio": user.bio, "skills": ", ".join(user.skills),
            "locale": user.locale, "timezone": user.timezone}


async def _account_page(request: Request, runtime: Runtime, user: CurrentUser, values: dict[str, str] | None = None,
                        errors: dict[str, str] | None = None, status: int = 200) -> Response:
    me = await service.get_me(runtime, user.id)
    return render(runtime.settings, page_viewer(request, runtime, user), "accounts/account.html", status=status,
                  me=me, values=values or _account_values(me), errors=errors or {})


@get("/me/account", include_in_schema=False)
async def account_form(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    if maybe_user is None:
        return login_redirect(request, runtime)
    return await _account_page(request, runtime, maybe_user)


def _account_update(values: dict[str, str]) -> tuple[schemas.UserUpdate | None, dict[str, str]]:
    """The profile change the form asks for, or the message of each refused field (the rules of
    accounts and the API's lengths, the same checks as `PATCH /api/v1/me`)."""
    skills = [skill.strip() for skill in values["skills"].split(",") if skill.strip()]
    found = rules.profile_errors(display_name=values["display_name"], timezone=values["timezone"],
                                 skills=skills, bio=values["bio"])
    errors = {e.field: ACCOUNT_MESSAGES.get(e.field, FIELD_MESSAGES["display_name"]) for e in found}
    if values["locale"] not in LANGUAGES:
        errors["locale"] = FIELD_MESSAGES["locale"]
    if errors:
        return None, errors
    try:
        return msgspec.convert({**values, "skills": skills}, schemas.UserUpdate), {}
    except msgspec.ValidationError as exc:
        field = next((f for f in ACCOUNT_FIELDS if f"$.{f}" in str(exc)), "display_name")
        return None, {field: ACCOUNT_MESSAGES[field]}


@post("/me/account", include_in_schema=False)
async def account(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    if maybe_user is None:
        return login_redirect(request, runtime, "/me/account")
    form = await request.form()
    values = {name: _text(form, name, 5000).strip() for name in ACCOUNT_FIELDS}
    update, errors = _account_update(values)
    if update is not None:
        try:
            saved = await service.update_me(runtime, maybe_user.id, update)
        except ValidationFailed as exc:
            errors = {item["field"]: ACCOUNT_MESSAGES.get(item["field"], FIELD_MESSAGES["display_name"])
                      for item in exc.extra.get("errors", [])} or {"display_name": FIELD_MESSAGES["display_name"]}
        else:
            return see_other("/me/account", runtime.settings, flash=N_("Your account is saved."),
                             cookies=[language_cookie(saved.locale, runtime.settings)])
    errors = {name: errors[name] for name in ACCOUNT_FIELDS if name in errors}  # in the form's order
    if not wants_html(request):  # an API client gets the problem every other refusal is
        raise ValidationFailed("; ".join(f"{name}: {message}" for name, message in errors.items()),
                               errors=[{"field": name, "message": message, "source": "body"}
                                       for name, message in errors.items()])
    return await _account_page(request, runtime, maybe_user, values, errors, status=400)


@post("/me/account/calendar-token", include_in_schema=False)
async def reset_calendar_link(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """A new personal feed URL; the old one answers 404 from now on (the same as
    `POST /api/v1/me/calendar-token`)."""
    if maybe_user is None:
        return login_redirect(request, runtime, "/me/account")
    await service.rotate_calendar_token(maybe_user.id)
    return see_other("/me/account#calendar", runtime.settings,
                     flash=N_("Your calendar link is new: the old one no longer works. Subscribe again with the new one."))


@get("/me/account/export", include_in_schema=False)
async def export_data(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """Everything held about the user (`GET /api/v1/me/export`), as a JSON file to download."""
    if maybe_user is None:
        return login_redirect(request, runtime)
    export = await privacy.export_user_data(runtime, maybe_user.id)
    return Response(msgspec.json.encode(export), media_type="application/json", headers={
        "Content-Disposition": 'attachment; filename="alveole-my-data.json"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@get("/me/account/delete", include_in_schema=False)
async def delete_form(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """The confirmation, which says what is erased and what is kept."""
    if maybe_user is None:
        return login_redirect(request, runtime)
    return render(runtime.settings, page_viewer(request, runtime, maybe_user), "accounts/delete.html")


@post("/me/account/delete", include_in_schema=False)
async def delete_account(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    if maybe_user is None:
        return login_redirect(request, runtime, "/me/account/delete")
    await privacy.delete_account(runtime, maybe_user.id)
    return see_other("/", runtime.settings, flash=N_("Your account is deleted. Goodbye, and thank you."),
                     cookies=cleared_cookies(runtime.settings))


ROUTES = [signup_form, signup, login_form, login, logout, choose_language, account_form, account,
          reset_calendar_link, export_data, delete_form, delete_account]
