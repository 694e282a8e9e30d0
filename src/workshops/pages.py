"""Public HTML pages of workshops: `GET /workshops/{id}`, the page emails and feeds link to.

Rendered with Jinja2 from `templates/workshops/` (autoescaped; no JavaScript), in English or
French after the visitor's Accept-Language, with the project's catalogues (`kernel.i18n`,
`locale/`), the same as the emails'.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_currency, get_currency_precision
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from accounts.auth import CurrentUser
from kernel.i18n import environment, page_language
from kernel.errors import NotFound
from kernel.http import RuntimeDep, is_id
from kernel.runtime import Runtime
from workshops import schemas, service
from workshops.enums import Payment, SessionStatus, WorkshopStatus

MaybeUserDep = NamedDependency[CurrentUser | None]

# Litestar appends "; charset=utf-8" to text/* media types itself: never name one here
HTML = "text/html"
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




def _render(runtime: Runtime, language: str, template: str, status: int = 200, **values: Any) -> Response:
    html = environment(runtime.settings.templates_dir, language, True).get_template(template).render(**values)
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
