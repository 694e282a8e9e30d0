"""The feedback page the `feedback_request` email links to: `GET /feedback/{token}` shows a form
(rating 1–5, comment; no JavaScript), `POST /feedback/{token}` records it without logging in,
then redirects to the GET (post/redirect/get), which says thank you.

The signed token in the URL is the capability (see `booking.feedback`): a forged cross-site
POST would need it. A visitor who also carries a session cookie gets the CSRF field the
middleware (`accounts.csrf`) asks of cookie-carrying form posts. Pages are in the participant's
language (en/fr, their account's locale); an unknown link, one that has expired or been used
is told so politely, with the matching status (404, 410, 409). Comments are autoescaped.
Strings go through `_()` for `pybabel extract`; the French ones are the table below, as for
the workshop page.
"""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_datetime
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from accounts.auth import SESSION_COOKIE
from accounts.csrf import CSRF_FORM_FIELD, csrf_token_for
from booking import feedback, rules
from booking.errors import FeedbackExists, FeedbackNotOpen, StoreUnavailable
from booking.schemas import COMMENT_MAX
from kernel.asgi import Cookies
from kernel.errors import DomainError, Forbidden, InvalidState, NotFound, ValidationFailed
from kernel.http import RuntimeDep
from kernel.runtime import Runtime
from kernel.sql import as_datetime
from workshops.pages import page_language

HTML = "text/html"  # Litestar appends the charset itself
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the URL is the credential
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Vary": "Accept-Language, Cookie",
}
_FRENCH = {
    "Your feedback": "Votre avis",
    "How was “%(title)s”?": "Comment s'est passé « %(title)s » ?",
    "Session of %(when)s, hosted by %(host)s.": "Séance du %(when)s, animée par %(host)s.",
    "Your rating": "Votre note",
    "1 — poor": "1 — décevant",
    "2": "2",
    "3": "3",
    "4": "4",
    "5 — excellent": "5 — excellent",
    "Comment (optional)": "Commentaire (facultatif)",
    "At most %(max)s characters. The host reads it; your name is not shown.":
        "%(max)s caractères au plus. L'animateur ou l'animatrice le lit ; votre nom n'est pas affiché.",
    "Send my feedback": "Envoyer mon avis",
    "Please choose a rating from 1 to 5.": "Choisissez une note de 1 à 5.",
    "The comment is too long (at most %(max)s characters).": "Le commentaire est trop long (%(max)s caractères au plus).",
    "The comment contains characters that cannot be kept.": "Le commentaire contient des caractères non autorisés.",
    "Thank you!": "Merci !",
    "Your feedback on “%(title)s” has been received: %(rating)s out of 5.":
        "Votre avis sur « %(title)s » a bien été reçu : %(rating)s sur 5.",
    "Already received": "Déjà reçu",
    "Your feedback on “%(title)s” was already received. Thank you!":
        "Votre avis sur « %(title)s » a déjà été reçu. Merci !",
    "Link expired": "Lien expiré",
    "This feedback link has expired: feedback can be given until 30 days after the session.":
        "Ce lien a expiré : on peut donner son avis jusqu'à 30 jours après la séance.",
    "Link not valid": "Lien invalide",
    "This link is not valid. Please open it exactly as it appears in the email.":
        "Ce lien n'est pas valide. Ouvrez-le exactement tel qu'il figure dans l'e-mail.",
    "Not yet": "Pas encore",
    "The feedback form opens when the session ends.": "Le formulaire s'ouvre à la fin de la séance.",
    "Feedback not possible": "Avis impossible",
    "This booking cannot be rated.": "Cette réservation ne peut pas être notée.",
    "Please try again": "Veuillez réessayer",
    "The service is busy; nothing was recorded. Please try again in a moment.":
        "Le service est occupé ; rien n'a été enregistré. Réessayez dans un instant.",
}


def _translations(language: str) -> Any:
    if language != "fr":
        return (lambda s: s), (lambda s, p, n: s if n == 1 else p)
    return (lambda s: _FRENCH.get(s, s)), (lambda s, p, n: _FRENCH.get(s if n <= 1 else p, s if n <= 1 else p))


@functools.lru_cache(maxsize=8)
def _environment(templates_dir: Path, language: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir)), autoescape=True,
                             extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    gettext, ngettext = _translations(language)
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = language
    return env


def _render(runtime: Runtime, language: str, template: str, status: int = 200, **values: Any) -> Response:
    html = _environment(runtime.settings.templates_dir, language).get_template(f"booking/{template}").render(**values)
    return Response(html, status_code=status, media_type=HTML, headers={**_HEADERS, "Content-Language": language})


def _notice(runtime: Runtime, language: str, status: int, heading: str, message: str, **values: Any) -> Response:
    return _render(runtime, language, "feedback_notice.html", status, heading=heading, message=message, values=values)


def _language_of(locale: str | None) -> str:
    return "fr" if (locale or "").lower().startswith("fr") else "en"


def _wants_html(request: Request) -> bool:
    """Browsers name text/html in Accept; API clients (and `*/*`) get the problem+json that
    every other error of the app is, with the API's slugs."""
    return "text/html" in request.headers.get("accept", "").lower()


class _Link:
    """A token read and its booking loaded; `refusal` is the page to answer instead, if any
    (for a client that does not ask for HTML, the refusal is raised as the API's problem)."""

    def __init__(self, runtime: Runtime, request: Request, token: str) -> None:
        self.runtime, self.token = runtime, token
        self.html = _wants_html(request)
        self.language = page_language(request.headers.get("accept-language"))
        self.view: Any = None
        self.refusal: Response | None = None
        self.claim: feedback.LinkClaim | None = None

    async def load(self) -> _Link:
        try:
            self.claim = feedback.read_token(self.runtime.settings.secret_key, self.token)
        except feedback.BadLink:
            self.refusal = self.invalid()
            return self
        self.view = await feedback.link_view(self.claim.booking_id)
        if self.view is None:
            self.refusal = self.invalid()
            return self
        self.language = _language_of(self.view["p_locale"])
        if self.view["f_id"] is not None:
            return self  # used: the GET says thank you, a POST that it was already received
        now = self.runtime.clock.now()
        ends_at = as_datetime(self.view["s_ends_at"])
        if now > self.claim.expires_at or now > rules.feedback_closes_at(ends_at):
            self.refusal = self.expired()
        elif now < ends_at:
            self.refusal = self.not_open()
        elif (self.view["b_status"] != "confirmed" or self.view["b_attendance"] == "no_show"
              or self.view["b_user"] == self.view["h_id"]):
            self.refusal = self.cannot()
        return self

    def _page(self, error: DomainError, status: int, heading: str, message: str, **values: Any) -> Response:
        if not self.html:
            raise error
        return _notice(self.runtime, self.language, status, heading, message, **values)

    def invalid(self) -> Response:
        return self._page(NotFound("no such feedback link"), 404, "Link not valid",
                          "This link is not valid. Please open it exactly as it appears in the email.")

    def expired(self) -> Response:
        return self._page(InvalidState("this feedback link has expired"), 410, "Link expired",
                          "This feedback link has expired: feedback can be given until 30 days after the session.")

    def not_open(self) -> Response:
        return self._page(FeedbackNotOpen("feedback opens when the session ends"), 409, "Not yet",
                          "The feedback form opens when the session ends.")

    def cannot(self) -> Response:
        return self._page(Forbidden("this booking cannot be rated"), 403, "Feedback not possible",
                          "This booking cannot be rated.")

    def already(self, status: int) -> Response:
        return self._page(FeedbackExists("feedback was already given for this booking"), status, "Already received",
                          "Your feedback on “%(title)s” was already received. Thank you!", title=self.view["w_title"])

    def busy(self, error: StoreUnavailable) -> Response:
        response = self._page(error, 503, "Please try again",
                              "The service is busy; nothing was recorded. Please try again in a moment.")
        response.headers["Retry-After"] = "2"
        return response

    def form(self, request: Request, status: int = 200, error: str | None = None, rating: str = "",
             comment: str = "") -> Response:
        if error and not self.html:
            field = "rating" if "rating" in error else "comment"
            raise ValidationFailed(f"{field}: {error % {'max': COMMENT_MAX}}",
                                   errors=[{"field": field, "message": error % {"max": COMMENT_MAX}}])
        view = self.view
        zone = view["p_timezone"] or "UTC"
        try:
            when = format_datetime(as_datetime(view["s_starts_at"]), "long", tzinfo=_zone(zone), locale=self.language)
        except LookupError:
            when = as_datetime(view["s_starts_at"]).isoformat()
        session_cookie = Cookies.of_headers(request.headers).get(SESSION_COOKIE)
        csrf = csrf_token_for(session_cookie, self.runtime.settings.secret_key) if session_cookie else None
        return _render(self.runtime, self.language, "feedback_form.html", status, title=view["w_title"],
                       host=view["h_display_name"], when=when, action=f"/feedback/{self.token}",
                       error=error, rating=rating, comment=comment, comment_max=COMMENT_MAX,
                       csrf_field=CSRF_FORM_FIELD, csrf_token=csrf)


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return dt.timezone.utc


@get("/feedback/{token:str}", include_in_schema=False)
async def feedback_page(token: FromPath[str], request: Request, runtime: RuntimeDep) -> Response:
    link = await _Link(runtime, request, token).load()
    if link.refusal is not None:
        return link.refusal
    if link.view["f_id"] is not None:
        return _notice(runtime, link.language, 200, "Thank you!",
                       "Your feedback on “%(title)s” has been received: %(rating)s out of 5.",
                       title=link.view["w_title"], rating=link.view["f_rating"])
    return link.form(request)


@post("/feedback/{token:str}", include_in_schema=False, status_code=303)
async def feedback_submit(token: FromPath[str], request: Request, runtime: RuntimeDep) -> Response:
    link = await _Link(runtime, request, token).load()
    if link.refusal is not None:
        return link.refusal
    if link.view["f_id"] is not None:
        return link.already(409)
    form = await request.form()
    # browsers send a textarea's line breaks as CRLF, which its maxlength counts as one character
    rating, comment = str(form.get("rating") or ""), str(form.get("comment") or "").replace("\r\n", "\n")
    if rating not in ("1", "2", "3", "4", "5"):
        return link.form(request, 400, "Please choose a rating from 1 to 5.", rating, comment)
    if len(comment) > COMMENT_MAX:
        return link.form(request, 400, "The comment is too long (at most %(max)s characters).", rating, comment)
    try:
        await feedback.give(runtime, link.view["b_user"], link.claim.booking_id, int(rating), comment)
    except FeedbackExists:
        return link.already(409)
    except FeedbackNotOpen:
        return link.not_open()
    except ValidationFailed:
        return link.form(request, 400, "The comment contains characters that cannot be kept.", rating, comment)
    except InvalidState:
        return link.expired()
    except Forbidden:
        return link.cannot()
    except NotFound:
        return link.invalid()
    except StoreUnavailable as busy:
        return link.busy(busy)
    return Redirect(f"/feedback/{token}", status_code=303, headers=dict(_HEADERS))


ROUTES = [feedback_page, feedback_submit]
