"""The account pages: sign up (`/signup`), log in (`/login`), log out (`POST /logout`), the
language switch (`POST /language`), my account (`/me/account`: profile, language, time zone,
the personal calendar link and its reset, password change, logging out everywhere, the data
export, deleting the account), and the pages of the emailed links: `/verify/{token}` (a GET
page whose button POSTs, so a mail scanner that fetches the link uses nothing up),
`POST /verify/resend`, `/forgot` and `/reset/{token}`.

`next` survives the sign-up: the signup form carries it, the `verify_email` link remembers
it (stored with the link's hash), and following the link lands on it.

Thin handlers over `accounts.service`, the same functions as the JSON API. Forms work without
JavaScript (POST → 303 → GET); a refused form is shown again with an error summary at the top
and a message next to each field, in the visitor's language.

CSRF: with a session cookie the middleware (`accounts.csrf`) checks the `csrf_token` field
against the session's token. A visitor without a session gets a random `alveole_csrf` cookie
with the first page and its forms carry the same value (double submit): the anonymous forms
(sign up, log in, language) refuse a post whose field does not match the cookie
(`web.kit.refuse_without_token`), so another
site cannot log a visitor into an account of its choosing. A double submit alone does not stop
a sibling subdomain that can plant the cookie, so these posts must also come from this origin
when the browser says where they come from (`Origin`, sent by every current browser on a POST).
"""
from __future__ import annotations

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath

from accounts import privacy as accounts_privacy
from accounts import rules as accounts_rules
from accounts import schemas as accounts_schemas
from accounts import service as accounts_service
from accounts import tokens as accounts_tokens
from accounts.auth import CurrentUser, token_from
from accounts.controllers import client_ip
from accounts.csrf import cleared_cookies, session_cookies
from accounts.errors import EmailTaken, InvalidToken
from kernel.errors import InvalidCredentials, RateLimited, ValidationFailed
from kernel.http import RuntimeDep
from kernel.i18n import LANGUAGES
from kernel.phones import display_phone
from kernel.runtime import Runtime
from web.kit import (
    N_,
    MaybeUserDep,
    UserDep,
    language_cookie,
    page_viewer,
    refuse_without_token,
    render,
    safe_next,
    see_other,
    text_of,
    wants_html,
)

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
WRONG_CURRENT = N_("This is not your current password.")
NEW_PASSWORD = N_("Choose a password of 8 to 256 characters.")
LOGIN_MISSING = {"email": N_("Enter your email address."), "password": N_("Enter your password.")}
ACCOUNT_FIELDS = ("display_name", "bio", "skills", "locale", "timezone", "phone")
ACCOUNT_MESSAGES = {
    **FIELD_MESSAGES,
    "phone": N_("Enter a mobile number, for example 06 12 34 56 78 or +44 7911 123456."),
    "bio": N_("Write at most 2000 characters, without control characters."),
    "skills": N_("List at most 20 skills separated by commas, each of at most 40 characters."),
}


# ---------------------------------------------------------------------------------------- signup

async def _default_timezone() -> str:
    communities = await accounts_service.list_communities(1, 0)
    return communities.items[0].timezone if communities.items else DEFAULT_TIMEZONE


@get("/signup", include_in_schema=False)
async def signup_form(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    viewer = page_viewer(request, maybe_user)
    values = {"display_name": "", "email": "", "locale": viewer.language, "timezone": await _default_timezone()}
    return render(viewer, "account/signup.html", values=values, errors={}, summary=[],
                  next=safe_next(request.query_params.get("next")))


def _signup_errors(values: dict[str, str], password: str) -> dict[str, str]:
    """The rules of accounts (the same as the API's), field by field."""
    found = (accounts_rules.email_errors(values["email"]) + accounts_rules.password_errors(password)
             + accounts_rules.profile_errors(display_name=values["display_name"], timezone=values["timezone"]))
    errors = {e.field: FIELD_MESSAGES.get(e.field, FIELD_MESSAGES["email"]) for e in found}
    if values["locale"] not in LANGUAGES:
        errors["locale"] = FIELD_MESSAGES["locale"]
    return errors


@post("/signup", include_in_schema=False)
async def signup(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    form = await request.form()
    settings = runtime.settings
    refuse_without_token(request, form)
    values = {name: text_of(form, name).strip() for name in ("display_name", "email", "locale", "timezone")}
    password = text_of(form, "password", 1000)
    destination = safe_next(text_of(form, "next", 1000))
    errors = _signup_errors(values, password)
    summary: list[str] = []
    if not errors:
        try:
            data = msgspec.convert({**values, "password": password}, accounts_schemas.UserCreate)
            await accounts_service.register(runtime, data, client_ip(request),
                                            next_path="" if destination == "/" else destination)
            token, user = await accounts_service.login(runtime, data.email, password, client_ip(request))
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
            return see_other(destination, settings,
                             flash=N_("Welcome! Your account is ready and you are logged in. We emailed you a link: follow it to confirm your address, then you can book."),
                             cookies=[*session_cookies(token, settings), language_cookie(user.locale, settings)])
    errors = {name: errors[name] for name in SIGNUP_FIELDS if name in errors}  # in the form's order
    viewer = page_viewer(request, maybe_user)
    return render(viewer, "account/signup.html", status=429 if summary else 400,
                  values=values, errors=errors, summary=summary, next=destination)


# ----------------------------------------------------------------------------------------- login

@get("/login", include_in_schema=False)
async def login_form(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    viewer = page_viewer(request, maybe_user)
    return render(viewer, "account/login.html", values={"email": ""}, errors={},
                  summary=[], next=safe_next(request.query_params.get("next")))


@post("/login", include_in_schema=False)
async def login(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    form = await request.form()
    settings = runtime.settings
    refuse_without_token(request, form)
    email, password = text_of(form, "email", 1000).strip(), text_of(form, "password", 1000)
    destination = safe_next(text_of(form, "next", 1000))
    given = {"email": email, "password": password}
    errors = {name: msgid for name, msgid in LOGIN_MISSING.items() if not given[name]}
    summary: list[str] = []
    status = 400
    if not errors:
        try:
            token, _user = await accounts_service.login(runtime, email, password, client_ip(request))
        except InvalidCredentials:
            summary.append(BAD_CREDENTIALS)
            status = 401
        except RateLimited:
            summary.append(TOO_MANY)
            status = 429
        else:
            return see_other(destination, settings, flash=N_("You are logged in."),
                             cookies=session_cookies(token, settings))
    viewer = page_viewer(request, maybe_user)
    return render(viewer, "account/login.html", status=status, values={"email": email},
                  errors=errors, summary=summary, next=destination)


@post("/logout", include_in_schema=False)
async def logout(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """Revokes the session (the middleware has checked the CSRF token) and clears its cookies."""
    settings = runtime.settings
    if maybe_user is None:
        return see_other("/", settings)
    await accounts_service.logout(token_from(request) or "")
    return see_other("/", settings, flash=N_("You are logged out."), cookies=cleared_cookies(settings))


# -------------------------------------------------------------------------------------- language

@post("/language", include_in_schema=False)
async def choose_language(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """Remembers the language in the `alveole_lang` cookie (and the user's locale), then goes back."""
    form = await request.form()
    settings = runtime.settings
    refuse_without_token(request, form)
    language = text_of(form, "lang", 1000)
    if language not in LANGUAGES:
        raise ValidationFailed("lang: en or fr", errors=[{"field": "lang", "message": "en or fr", "source": "body"}])
    if maybe_user is not None and maybe_user.locale != language:
        await accounts_service.update_me(runtime, maybe_user.id, accounts_schemas.UserUpdate(locale=language))
    return see_other(text_of(form, "next", 2000), settings, cookies=[language_cookie(language, settings)])


# ------------------------------------------------------------------------------------ my account

def _account_values(user: accounts_schemas.User) -> dict[str, str]:
    return {"display_name": user.display_name, "bio": user.bio, "skills": ", ".join(user.skills),
            "locale": user.locale, "timezone": user.timezone,
            "phone": display_phone(user.phone) if user.phone else "",
            "sms_opt_in": "on" if user.sms_opt_in else ""}


async def _account_page(request: Request, runtime: Runtime, user: CurrentUser, values: dict[str, str] | None = None,
                        errors: dict[str, str] | None = None, status: int = 200,
                        summary: list[str] | None = None) -> Response:
    me = await accounts_service.get_me(runtime, user.id)
    return render(page_viewer(request, user), "account/account.html", status=status,
                  me=me, values=values or _account_values(me), errors=errors or {}, summary=summary or [])


@get("/me/account", include_in_schema=False)
async def account_form(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    return await _account_page(request, runtime, user)


def _account_update(values: dict[str, str]) -> tuple[accounts_schemas.UserUpdate | None, dict[str, str]]:
    """The profile change the form asks for, or the message of each refused field (the rules of
    accounts and the API's lengths, the same checks as `PATCH /api/v1/me`)."""
    skills = [skill.strip() for skill in values["skills"].split(",") if skill.strip()]
    found = accounts_rules.profile_errors(display_name=values["display_name"], timezone=values["timezone"],
                                 skills=skills, bio=values["bio"])
    errors = {e.field: ACCOUNT_MESSAGES.get(e.field, FIELD_MESSAGES["display_name"]) for e in found}
    if values["locale"] not in LANGUAGES:
        errors["locale"] = FIELD_MESSAGES["locale"]
    if errors:
        return None, errors
    try:
        return msgspec.convert({**values, "skills": skills, "sms_opt_in": values.get("sms_opt_in") == "on"},
                               accounts_schemas.UserUpdate), {}
    except msgspec.ValidationError as exc:
        field = next((f for f in ACCOUNT_FIELDS if f"$.{f}" in str(exc)), "display_name")
        return None, {field: ACCOUNT_MESSAGES[field]}


@post("/me/account", include_in_schema=False, back_to="/me/account")
async def account(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    form = await request.form()
    values = {name: text_of(form, name, 5000).strip() for name in ACCOUNT_FIELDS}
    values["sms_opt_in"] = "on" if form.get("sms_opt_in") else ""
    update, errors = _account_update(values)
    if update is not None:
        try:
            saved = await accounts_service.update_me(runtime, user.id, update)
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
    return await _account_page(request, runtime, user, values, errors, status=400)


@post("/me/account/calendar-token", include_in_schema=False, back_to="/me/account")
async def reset_calendar_link(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """A new personal feed URL; the old one answers 404 from now on (the same as
    `POST /api/v1/me/calendar-token`)."""
    await accounts_service.rotate_calendar_token(user.id)
    return see_other("/me/account#calendar", runtime.settings,
                     flash=N_("Your calendar link is new: the old one no longer works. Subscribe again with the new one."))


@get("/me/account/export", include_in_schema=False)
async def export_data(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """Everything held about the user (`GET /api/v1/me/export`), as a JSON file to download."""
    export = await accounts_privacy.export_user_data(runtime, user.id)
    return Response(msgspec.json.encode(export), media_type="application/json", headers={
        "Content-Disposition": 'attachment; filename="alveole-my-data.json"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@get("/me/account/delete", include_in_schema=False)
async def delete_form(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """The confirmation, which says what is erased and what is kept."""
    return render(page_viewer(request, user), "account/delete.html")


@post("/me/account/delete", include_in_schema=False, back_to="/me/account/delete")
async def delete_account(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    await accounts_privacy.delete_account(runtime, user.id)
    return see_other("/", runtime.settings, flash=N_("Your account is deleted. Goodbye, and thank you."),
                     cookies=cleared_cookies(runtime.settings))


# ---------------------------------------------------------------- password and logging out everywhere

@post("/me/account/password", include_in_schema=False, back_to="/me/account")
async def change_password(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """`POST /api/v1/me/password` from My account: every other session ends, this one stays."""
    form = await request.form()
    current, new = text_of(form, "current_password", 1000), text_of(form, "new_password", 1000)
    errors: dict[str, str] = {}
    summary: list[str] = []
    status = 400
    if accounts_rules.password_errors(new):
        errors["new_password"] = NEW_PASSWORD
        if not wants_html(request):
            raise ValidationFailed("new_password: 8 to 256 characters", errors=[
                {"field": "new_password", "message": "8 to 256 characters", "source": "body"}])
    else:
        try:
            await accounts_service.change_password(runtime, user, token_from(request) or "", current, new)
        except InvalidCredentials:
            if not wants_html(request):
                raise
            errors["current_password"], status = WRONG_CURRENT, 401
        except RateLimited:
            if not wants_html(request):
                raise
            summary.append(TOO_MANY)
            status = 429
        else:
            return see_other("/me/account#password", runtime.settings,
                             flash=N_("Your password is changed. Your other devices are logged out."))
    return await _account_page(request, runtime, user, errors=errors, status=status, summary=summary)


@post("/me/account/logout-everywhere", include_in_schema=False, back_to="/me/account")
async def logout_everywhere(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    await accounts_service.logout_everywhere(user.id)
    return see_other("/", runtime.settings, flash=N_("You are logged out everywhere, here too."),
                     cookies=cleared_cookies(runtime.settings))


# ------------------------------------------------------------------------- the emailed links

def _link_invalid(request: Request, user: CurrentUser | None, purpose: str) -> Response:
    if not wants_html(request):  # an API client gets the problem the API answers
        raise InvalidToken()
    return render(page_viewer(request, user), "account/link_invalid.html", status=400, purpose=purpose)


@get("/verify/{token:str}", include_in_schema=False)
async def verify_form(token: FromPath[str], request: Request, runtime: RuntimeDep,
                      maybe_user: MaybeUserDep) -> Response:
    """The `verify_email` link: a button, so a scanner that fetches the link verifies nothing."""
    if not await accounts_service.link_is_usable(runtime, accounts_tokens.VERIFY_EMAIL, token):
        return _link_invalid(request, maybe_user, accounts_tokens.VERIFY_EMAIL)
    return render(page_viewer(request, maybe_user), "account/verify.html", token=token)


@post("/verify/{token:str}", include_in_schema=False)
async def verify(token: FromPath[str], request: Request, runtime: RuntimeDep,
                 maybe_user: MaybeUserDep) -> Response:
    """Verified: on to the page the neighbour signed up from (logged in or not)."""
    if not await accounts_service.link_is_usable(runtime, accounts_tokens.VERIFY_EMAIL, token):
        return _link_invalid(request, maybe_user, accounts_tokens.VERIFY_EMAIL)
    form = await request.form()
    refuse_without_token(request, form)
    try:
        _user, next_path = await accounts_service.verify_email(runtime, token)
    except InvalidToken:
        return _link_invalid(request, maybe_user, accounts_tokens.VERIFY_EMAIL)
    return see_other(safe_next(next_path), runtime.settings, flash=N_("Your email address is confirmed. Thank you!"))


@post("/verify/resend", include_in_schema=False, back_to="/me/account")
async def resend_verification(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """A new `verify_email` link that leads back to `next` (bounded: see accounts.service)."""
    form = await request.form()
    destination = safe_next(text_of(form, "next", 1000))
    try:
        sent = await accounts_service.resend_verification(
            runtime, user, next_path="" if destination == "/" else destination)
    except RateLimited:
        return see_other(destination, runtime.settings,
                         flash=N_("We have sent several links already today. Look for them in your inbox and spam folder, or try again tomorrow."))
    flash = N_("A new link is on its way: check your inbox.") if sent else N_("Your email address is already confirmed.")
    return see_other(destination, runtime.settings, flash=flash)


@get("/forgot", include_in_schema=False)
async def forgot_form(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    return render(page_viewer(request, maybe_user), "account/forgot.html", values={"email": ""}, errors={},
                  sent=False)


@post("/forgot", include_in_schema=False)
async def forgot(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """The same page whether or not an account uses the address (see accounts.service)."""
    form = await request.form()
    refuse_without_token(request, form)
    email = text_of(form, "email", 1000).strip()
    if not email:
        return render(page_viewer(request, maybe_user), "account/forgot.html", status=400, values={"email": ""},
                      errors={"email": LOGIN_MISSING["email"]}, sent=False)
    try:
        await accounts_service.forgot_password(runtime, email)
    except ValidationFailed:
        if not wants_html(request):
            raise
        return render(page_viewer(request, maybe_user), "account/forgot.html", status=400, values={"email": email},
                      errors={"email": FIELD_MESSAGES["email"]}, sent=False)
    return render(page_viewer(request, maybe_user), "account/forgot.html", values={"email": email}, errors={},
                  sent=True)


@get("/reset/{token:str}", include_in_schema=False)
async def reset_form(token: FromPath[str], request: Request, runtime: RuntimeDep,
                     maybe_user: MaybeUserDep) -> Response:
    if not await accounts_service.link_is_usable(runtime, accounts_tokens.PASSWORD_RESET, token):
        return _link_invalid(request, maybe_user, accounts_tokens.PASSWORD_RESET)
    return render(page_viewer(request, maybe_user), "account/reset.html", token=token, errors={})


@post("/reset/{token:str}", include_in_schema=False)
async def reset(token: FromPath[str], request: Request, runtime: RuntimeDep,
                maybe_user: MaybeUserDep) -> Response:
    """A new password; every session of the account ends (this browser's too): on to log in."""
    if not await accounts_service.link_is_usable(runtime, accounts_tokens.PASSWORD_RESET, token):
        return _link_invalid(request, maybe_user, accounts_tokens.PASSWORD_RESET)
    form = await request.form()
    refuse_without_token(request, form)
    password = text_of(form, "password", 1000)
    if accounts_rules.password_errors(password):
        if not wants_html(request):
            raise ValidationFailed("password: 8 to 256 characters", errors=[
                {"field": "password", "message": "8 to 256 characters", "source": "body"}])
        return render(page_viewer(request, maybe_user), "account/reset.html", status=400, token=token,
                      errors={"password": NEW_PASSWORD})
    try:
        await accounts_service.reset_password(runtime, token, password)
    except InvalidToken:
        return _link_invalid(request, maybe_user, accounts_tokens.PASSWORD_RESET)
    return see_other("/login", runtime.settings, flash=N_("Your new password is saved. Log in with it."),
                     cookies=cleared_cookies(runtime.settings))


ROUTES = [signup_form, signup, login_form, login, logout, choose_language, account_form, account,
          reset_calendar_link, export_data, delete_form, delete_account, change_password,
          logout_everywhere, resend_verification, verify_form, verify, forgot_form, forgot,
          reset_form, reset]
