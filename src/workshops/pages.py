"""Public HTML pages of workshops: `GET /workshops/{id}`, the page emails and feeds link to.

Rendered with Jinja2 from `templates/workshops/` (autoescaped; no JavaScript), in English or
French after the visitor's Accept-Language. The strings go through the i18n extension's `_()`
so `pybabel extract` (babel.cfg) finds them; until they are in `locale/`, the French ones are
the table below (notify's catalogue environment lives downstream of this package).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_time
from babel.numbers import format_currency, get_currency_precision
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from accounts.auth import CurrentUser
from kernel.errors import NotFound
from kernel.http import RuntimeDep, is_id
from kernel.runtime import Runtime
from workshops import schemas, service
from workshops.enums import Payment, SessionStatus, WorkshopStatus

MaybeUserDep = NamedDependency[CurrentUser | None]

# Litestar appends "; charset=utf-8" to text/* media types itself: never name one here
HTML = "text/html"
LANGUAGES = ("en", "fr")
UPCOMING_SHOWN = 100
_HEADERS = {
    "Cache-Control": "no-cache",
    "Vary": "Accept, Accept-Language, Authorization, Cookie",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}

def N_(msgid: str) -> str:
    """Marks a msgid for `pybabel extract` where it is chosen in code and translated in the template."""
    return msgid


_FRENCH = {
    "Workshop": "Atelier",
    "Page not found": "Page introuvable",
    "There is no such workshop, or it is not public.": "Cet atelier n'existe pas, ou il n'est pas public.",
    "Hosted by %(name)s": "Animé par %(name)s",
    "Where": "Où",
    "Online": "En ligne",
    "Price": "Prix",
    "Free": "Gratuit",
    "%(price)s, paid on site": "%(price)s, à régler sur place",
    "%(price)s, paid online": "%(price)s, à régler en ligne",
    "About this workshop": "À propos de cet atelier",
    "Upcoming sessions": "Prochaines séances",
    "No session is planned yet.": "Aucune séance n'est prévue pour l'instant.",
    "%(start)s to %(end)s": "%(start)s – %(end)s",
    "Full": "Complet",
    "Full, waitlist open": "Complet, liste d'attente ouverte",
    "and %(count)s more": "et %(count)s de plus",
    "This workshop has been cancelled.": "Cet atelier a été annulé.",
    "This workshop is over.": "Cet atelier est terminé.",
    "This workshop is not public (%(status)s).": "Cet atelier n'est pas public (%(status)s).",
}
_FRENCH_PLURALS = {"%(num)s seat left": ("%(num)s place restante", "%(num)s places restantes")}


def page_language(accept_language: str | None) -> str:
    """The first of `LANGUAGES` the visitor prefers (RFC 9110 q-values, `fr-CA` counts for
    `fr`), else English."""
    best, best_q = "en", 0.0
    for item in (accept_language or "")[:500].split(","):
        tag, *params = item.split(";")
        language = tag.strip().split("-")[0].lower()
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                quality = float(value) if re.fullmatch(r"\s*(0(\.\d{0,3})?|1(\.0{0,3})?)\s*", value) else 0.0
        if language in LANGUAGES and quality > best_q:
            best, best_q = language, quality
    return best


def _translations(language: str) -> tuple[Any, Any]:
    if language != "fr":
        return (lambda s: s), (lambda s, p, n: s if n == 1 else p)
    return (lambda s: _FRENCH.get(s, s),
            lambda s, p, n: _FRENCH_PLURALS.get(s, (s, p))[0 if n <= 1 else 1])


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
    html = _environment(runtime.settings.templates_dir, language).get_template(template).render(**values)
    return Response(html, status_code=status, media_type=HTML,
                    headers={**_HEADERS, "Content-Language": language})


# ------------------------------------------------------------------------------- what is shown

def price_text(workshop: schemas.Workshop, language: str) -> tuple[str, str | None]:
    """(a msgid, the formatted price or None): 'Free', or the price and how it is paid."""
    if workshop.payment == Payment.FREE:
        return N_("Free"), None
    code = workshop.currency.upper()
    amount = Decimal(workshop.price_cents).scaleb(-get_currency_precision(code))
    price = format_currency(amount, code, locale=language)
    if workshop.payment == Payment.ON_SITE:
        return N_("%(price)s, paid on site"), price
    return N_("%(price)s, paid online"), price


def session_when(session: schemas.Session, language: str) -> tuple[str, str]:
    """Start and end in the session's own zone: the end shows only its time on the same day."""
    start, end = session.starts_at, session.ends_at  # already in the session's zone
    first = f"{format_date(start, 'full', locale=language)}, {format_time(start, 'short', locale=language)}"
    if end.date() == start.date():
        last = format_time(end, "short", locale=language)
    else:
        last = f"{format_date(end, 'full', locale=language)}, {format_time(end, 'short', locale=language)}"
    return first, last


def _upcoming(workshop: schemas.Workshop, now: dt.datetime) -> list[schemas.Session]:
    return [s for s in workshop.sessions if s.status == SessionStatus.SCHEDULED and s.starts_at > now]


def _wants_html(request: Request) -> bool:
    """Browsers name text/html in Accept; API clients (and `*/*`) get the problem+json that
    every other error of the app is."""
    return "text/html" in request.headers.get("accept", "").lower()


def _not_found(request: Request, runtime: Runtime, language: str) -> Response:
    if not _wants_html(request):
        raise NotFound("No such workshop.")
    return _render(runtime, language, "workshops/not_found.html", status=404)


@get("/workshops/{workshop_id:str}", include_in_schema=False)
async def workshop_page(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                        maybe_user: MaybeUserDep) -> Response:
    """A workshop's public page; unknown ids and workshops the visitor may not see are 404."""
    language = page_language(request.headers.get("accept-language"))
    number = int(workshop_id) if re.fullmatch(r"\d{1,10}", workshop_id) else 0
    if not is_id(number):
        return _not_found(request, runtime, language)
    try:
        workshop = await service.workshop_detail(runtime, number, maybe_user)
    except NotFound:
        return _not_found(request, runtime, language)
    upcoming = _upcoming(workshop, runtime.clock.now())
    price_msgid, price = price_text(workshop, language)
    return _render(
        runtime, language, "workshops/workshop.html", workshop=workshop, price_msgid=price_msgid, price=price,
        sessions=[(s, *session_when(s, language)) for s in upcoming[:UPCOMING_SHOWN]],
        more_sessions=max(0, len(upcoming) - UPCOMING_SHOWN), statuses=WorkshopStatus,
    )


ROUTES = [workshop_page]
PAGE_ROUTES = ROUTES
