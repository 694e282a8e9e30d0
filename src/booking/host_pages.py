"""The roster at the door: `GET /sessions/{id}/roster` (who is coming, what to collect on site,
the waitlist apart), `POST /sessions/{id}/roster/{booking_id}` (mark attended, no-show, or back
to unmarked) and `POST /sessions/{id}/checkin` (a typed or scanned check-in code) for the host,
the community's organizers and admins (PRODUCT.md flow 7).

Thin handlers over `booking.attendance`, the functions of the JSON API: who may see or mark,
the marking window and the audit rows are decided there. Forms work without JavaScript (POST →
303 → the roster with a flash message); a refusal of the service (outside the window, a wrong
code) comes back as a message, never an error page.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_currency, get_currency_precision
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from accounts.auth import CurrentUser
from accounts.pages import login_redirect, page_viewer
from booking import attendance, repository, rules
from booking.schemas import BookingStatus
from kernel.errors import InvalidState, NotFound, ValidationFailed
from kernel.http import RuntimeDep
from kernel.pages import N_, path_id, render, see_other
from workshops import service as workshops_service
from workshops.pages import session_when

MaybeUserDep = NamedDependency[CurrentUser | None]
ATTENDANCE_VALUES = ("attended", "no_show", "unknown")
CODE_MAX = 100

MARKED = {
    "attended": N_("Marked as attended."),
    "no_show": N_("Marked as no-show."),
    "unknown": N_("Mark removed: not marked."),
}
CHECKED_IN = N_("Checked in: marked as attended.")
NO_CODE = N_("Type the check-in code first.")
WRONG_CODE = N_("No booking of this session has this check-in code. Check it and try again.")
NOT_OPEN_YET = N_("Nothing was changed: check-in opens 1 hour before the session starts.")
CLOSED = N_("Nothing was changed: attendance can be marked until 7 days after the session ended.")
SESSION_CANCELLED = N_("Nothing was changed: this session is cancelled.")
NOT_CONFIRMED = N_("Nothing was changed: only a confirmed booking can be marked.")


def refusal_message(exc: InvalidState) -> str:
    """The service's InvalidState as a msgid the page can show in the viewer's language: the
    window's refusals carry `opens_at`/`closed_at`, a cancelled session only says so in its
    detail (`rules.ensure_marks_open`); anything else is `rules.ensure_markable`'s."""
    if "opens_at" in exc.extra:
        return NOT_OPEN_YET
    if "closed_at" in exc.extra:
        return CLOSED
    if "cancelled" in exc.detail and "session" in exc.detail:
        return SESSION_CANCELLED
    return NOT_CONFIRMED


def money(cents: int, currency: str, language: str) -> str:
    code = currency.upper()
    return format_currency(Decimal(cents).scaleb(-get_currency_precision(code)), code, locale=language)


def _when(moment: dt.datetime, zone: dt.tzinfo, language: str) -> str:
    """As the workshop page writes a session's start (`workshops.pages.session_when`)."""
    local = moment.astimezone(zone)
    return f"{format_date(local, 'full', locale=language)}, {format_time(local, 'short', locale=language)}"


def _window(record: Any, now: dt.datetime, language: str) -> tuple[str, dict[str, str]] | None:
    """What the page says above the buttons when marking is not possible now (the service
    decides on each POST; this only tells the host before they try)."""
    if record.status == "cancelled":
        return N_("This session is cancelled: there is no attendance to mark."), {}
    opens = record.starts_at - rules.CHECKIN_OPENS_BEFORE_START
    closes = record.ends_at + rules.MARKS_CLOSE_AFTER_END
    if now < opens:
        when = _when(opens, record.zone, language)
        return N_("Check-in opens on %(when)s, 1 hour before the session starts: until then the buttons "
                  "change nothing."), {"when": when}
    if now > closes:
        when = _when(closes, record.zone, language)
        return N_("Attendance could be marked until %(when)s, 7 days after the session ended: the buttons "
                  "change nothing now."), {"when": when}
    return None



def _back(session_id: int, suffix: str = "") -> str:
    return f"/sessions/{session_id}/roster{suffix}"


@get("/sessions/{session_id:str}/roster", include_in_schema=False)
async def roster_page(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                      maybe_user: MaybeUserDep) -> Response:
    """The session's roster; whoever may not manage it is refused by the service (403, or 404
    when the workshop is not visible to them)."""
    if maybe_user is None:
        return login_redirect(request, runtime)
    sid = path_id(session_id)
    roster = await attendance.roster(runtime, maybe_user, sid)
    record = await workshops_service.get_session(sid)
    workshop = await workshops_service.get_workshop(record.workshop_id)
    session = await workshops_service.session_detail(runtime, sid, maybe_user)
    viewer = page_viewer(request, runtime, maybe_user)
    language = viewer.language
    checked = request.query_params.get("checked_in", "")
    return render(
        runtime.settings, viewer, "booking/roster.html", roster=roster, workshop=workshop, session=session,
        when=session_when(session, language), window=_window(record, runtime.clock.now(), language),
        collect={item.booking_id: money(item.amount_cents, item.currency, language)
                 for item in roster.items if item.payment == "on_site" and item.amount_cents},
        checked_in=next((item for item in roster.items if str(item.booking_id) == checked), None),
        confirmed=BookingStatus.confirmed,
    )


@post("/sessions/{session_id:str}/roster/{booking_id:str}", include_in_schema=False)
async def mark_attendance(session_id: FromPath[str], booking_id: FromPath[str], request: Request,
                          runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """Field `attendance`: attended, no_show or unknown (undoes a mistaken mark)."""
    sid, bid = path_id(session_id), path_id(booking_id)
    if maybe_user is None:
        return login_redirect(request, runtime, _back(sid))
    value = str((await request.form()).get("attendance") or "")
    if value not in ATTENDANCE_VALUES:
        raise ValidationFailed("attendance: attended, no_show or unknown", errors=[
            {"field": "attendance", "message": "attended, no_show or unknown", "source": "body"}])
    row = await repository.booking_with_parties(bid)
    if row is None or row["session"] != sid:
        raise NotFound("no such booking in this session")
    back = _back(sid, f"#booking-{bid}")
    try:
        await attendance.mark(runtime, maybe_user, bid, value)
    except InvalidState as exc:
        return see_other(back, runtime.settings, flash=refusal_message(exc))
    return see_other(back, runtime.settings, flash=MARKED[value])


@post("/sessions/{session_id:str}/checkin", include_in_schema=False)
async def check_in(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                   maybe_user: MaybeUserDep) -> Response:
    """Field `code`, typed as printed or in any case, with or without dashes (the service
    reads it); the roster then names who was checked in."""
    sid = path_id(session_id)
    if maybe_user is None:
        return login_redirect(request, runtime, _back(sid))
    code = str((await request.form()).get("code") or "").strip()[:CODE_MAX]
    settings = runtime.settings
    if not code:
        return see_other(_back(sid, "#checkin"), settings, flash=NO_CODE)
    try:
        booking = await attendance.check_in_code(runtime, maybe_user, sid, code)
    except InvalidState as exc:
        return see_other(_back(sid, "#checkin"), settings, flash=refusal_message(exc))
    except NotFound:
        await attendance.roster(runtime, maybe_user, sid)  # an unknown session stays a 404
        return see_other(_back(sid, "#checkin"), settings, flash=WRONG_CODE)
    return see_other(_back(sid, f"?checked_in={booking.id}#booking-{booking.id}"), settings, flash=CHECKED_IN)


ROUTES = [roster_page, mark_attendance, check_in]
