"""The host's pages that go through the booking engine: reschedule a session
(`GET|POST /sessions/{id}/edit`), cancel it (`GET|POST /sessions/{id}/cancel`), each saying how
many people will be told, and the feedback a workshop received (`GET /workshops/{id}/feedback`).

They live here, not in `workshops.pages`, because they call `booking.service` and
`booking.feedback` (the same functions as the JSON API), which `workshops` may not import.
Who is told is counted from the session's roster (`booking.attendance.roster`, which also
refuses whoever is not the host, an organizer or an admin): a new time is sent to the
confirmed bookings; a cancellation to every active booking and waitlist entry.
"""
from __future__ import annotations

import math
from typing import Any

from babel.numbers import format_decimal
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from accounts.auth import CurrentUser
from accounts.pages import page_viewer
from booking import attendance, feedback, service
from booking.errors import CapacityBelowBookings
from booking.schemas import BookingStatus, Roster, SessionChange
from kernel.errors import Forbidden, InvalidState, ValidationFailed
from kernel.http import RuntimeDep
from kernel.pages import N_, Viewer, form_of, path_id, render, see_other
from workshops import service as workshops_service
from workshops.pages import (
    REASON_MESSAGE,
    SESSION_MESSAGES,
    _page_number,
    in_order,
    session_errors,
    session_times,
    text_of,
    user_or_login,
    when_for,
    whole_number,
)

MaybeUserDep = NamedDependency[CurrentUser | None]
EDIT_FIELDS = ("date", "time", "duration", "timezone", "capacity")
FEEDBACK_PAGE = 20
CLOSED = N_("This session has started or been cancelled: it can no longer be changed.")
BELOW_BOOKINGS = N_("More seats are already taken: enter at least as many seats as are booked.")


def _told_of_new_time(roster: Roster) -> int:
    return sum(1 for item in roster.items if item.status == BookingStatus.confirmed)


def _told_of_cancellation(roster: Roster) -> int:
    return len(roster.items) + len(roster.waitlist)


async def _session_for(runtime: Any, session_id: str, user: CurrentUser, *, host_only: bool) -> tuple[Any, Any, Roster]:
    """The session, its workshop and its roster; NotFound or Forbidden as the API answers
    (the roster is the host's, organizers' and admins'; a new time is the host's alone)."""
    number = path_id(session_id)
    roster = await attendance.roster(runtime, user, number)
    session = await workshops_service.session_detail(runtime, number, user)
    workshop = await workshops_service.get_workshop(session.workshop_id)
    if host_only and workshop.host_id != user.id:
        raise Forbidden("Only the workshop's host may change a session.")
    return session, workshop, roster


def _values_of(session: Any) -> dict[str, str]:
    start, end = session.starts_at, session.ends_at  # in the session's zone
    return {"date": start.date().isoformat(), "time": start.strftime("%H:%M"),
            "duration": str(int((end - start).total_seconds() // 60)), "timezone": session.timezone,
            "capacity": str(session.capacity)}


def _edit_page(runtime: Any, viewer: Viewer, session: Any, workshop: Any, roster: Roster,
               values: dict[str, str], errors: dict[str, str], summary: list[str]) -> Response:
    when = when_for(session.starts_at, session.ends_at, viewer.language,
                    viewer.user.timezone if viewer.user else session.timezone)
    return render(runtime.settings, viewer, "workshops/session_edit.html",
                  status=409 if summary else 400 if errors else 200, session=session, workshop=workshop,
                  values=values, errors=in_order(errors, EDIT_FIELDS), summary=summary, when=when,
                  told=_told_of_new_time(roster))


@get("/sessions/{session_id:str}/edit", include_in_schema=False)
async def edit_session_form(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                            maybe_user: MaybeUserDep) -> Response:
    user = user_or_login(request, runtime, maybe_user)
    if isinstance(user, Response):
        return user
    session, workshop, roster = await _session_for(runtime, session_id, user, host_only=True)
    return _edit_page(runtime, page_viewer(request, runtime, user), session, workshop, roster,
                      _values_of(session), {}, [])


@post("/sessions/{session_id:str}/edit", include_in_schema=False)
async def edit_session(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                       maybe_user: MaybeUserDep) -> Response:
    """The changed times (naive, read in the zone chosen) or capacity, through
    `booking.service.change_session` as the API's PATCH."""
    user = user_or_login(request, runtime, maybe_user, f"/sessions/{session_id}/edit")
    if isinstance(user, Response):
        return user
    session, workshop, roster = await _session_for(runtime, session_id, user, host_only=True)
    form = await form_of(request)
    values = {name: text_of(form, name, 100).strip() for name in EDIT_FIELDS}
    before = _values_of(session)
    errors: dict[str, str] = {}
    summary: list[str] = []
    change: dict[str, Any] = {}
    if any(values[name] != before[name] for name in ("date", "time", "duration", "timezone")):
        times = session_times(values, errors)
        if times:
            change.update(starts_at=times[0], ends_at=times[1], timezone=values["timezone"])
    if values["capacity"] != before["capacity"]:
        capacity = whole_number(values["capacity"])
        if capacity is None:
            errors["capacity"] = SESSION_MESSAGES["capacity"]
        change["capacity"] = capacity
    if not errors:
        if not change:
            return see_other(f"/workshops/{workshop.id}", runtime.settings, flash=N_("Nothing was changed."))
        try:
            await service.change_session(runtime, user, session.id, SessionChange(**change))
        except ValidationFailed as exc:
            errors = session_errors(exc, {})
        except CapacityBelowBookings:
            errors["capacity"] = BELOW_BOOKINGS
        except InvalidState:
            summary.append(CLOSED)
        else:
            return see_other(f"/workshops/{workshop.id}", runtime.settings, flash=N_(
                "The session is changed; the people who booked are sent the new time."))
    return _edit_page(runtime, page_viewer(request, runtime, user), session, workshop, roster, values,
                      errors, summary)


def _cancel_page(runtime: Any, viewer: Viewer, session: Any, workshop: Any, roster: Roster, reason: str,
                 errors: dict[str, str], summary: list[str]) -> Response:
    when = when_for(session.starts_at, session.ends_at, viewer.language,
                    viewer.user.timezone if viewer.user else session.timezone)
    return render(runtime.settings, viewer, "workshops/session_cancel.html",
                  status=409 if summary else 400 if errors else 200, session=session, workshop=workshop,
                  reason=reason, errors=errors, summary=summary, when=when,
                  booked=len(roster.items), waiting=len(roster.waitlist), told=_told_of_cancellation(roster))


@get("/sessions/{session_id:str}/cancel", include_in_schema=False)
async def cancel_session_form(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                              maybe_user: MaybeUserDep) -> Response:
    user = user_or_login(request, runtime, maybe_user)
    if isinstance(user, Response):
        return user
    session, workshop, roster = await _session_for(runtime, session_id, user, host_only=False)
    return _cancel_page(runtime, page_viewer(request, runtime, user), session, workshop, roster, "", {}, [])


@post("/sessions/{session_id:str}/cancel", include_in_schema=False)
async def cancel_session(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                         maybe_user: MaybeUserDep) -> Response:
    """`booking.service.cancel_session` with the reason every participant is sent."""
    user = user_or_login(request, runtime, maybe_user, f"/sessions/{session_id}/cancel")
    if isinstance(user, Response):
        return user
    session, workshop, roster = await _session_for(runtime, session_id, user, host_only=False)
    reason = text_of(await form_of(request), "reason", 5000)
    errors: dict[str, str] = {}
    summary: list[str] = []
    if not reason.strip() or len(reason.strip()) > 1000:
        errors["reason"] = REASON_MESSAGE  # SessionCancel's limits, which the service does not repeat
    else:
        try:
            await service.cancel_session(runtime, user, session.id, reason)
        except ValidationFailed:
            errors["reason"] = REASON_MESSAGE
        except InvalidState:
            summary.append(CLOSED)
        else:
            return see_other(f"/workshops/{workshop.id}", runtime.settings,
                             flash=N_("The session is cancelled; everyone who booked or waited is told."))
    return _cancel_page(runtime, page_viewer(request, runtime, user), session, workshop, roster, reason,
                        errors, summary)


@get("/workshops/{workshop_id:str}/feedback", include_in_schema=False)
async def workshop_feedback(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                            maybe_user: MaybeUserDep) -> Response:
    """Ratings and comments as `GET /api/v1/workshops/{id}/feedback` gives them to this reader."""
    user = user_or_login(request, runtime, maybe_user)
    if isinstance(user, Response):
        return user
    number = path_id(workshop_id)
    page = _page_number(request.query_params.get("page"))
    received = await feedback.of_workshop(runtime, user, number, FEEDBACK_PAGE, (page - 1) * FEEDBACK_PAGE)
    workshop = await workshops_service.get_workshop(number)
    viewer = page_viewer(request, runtime, user)
    pages = max(1, math.ceil(received.total / FEEDBACK_PAGE))
    average = None if received.rating.average is None else format_decimal(
        round(received.rating.average, 1), format="0.0", locale=viewer.language)
    return render(runtime.settings, viewer, "workshops/feedback.html", workshop=workshop, received=received,
                  page=page, pages=pages, average=average,
                  dates=[when_for(item.session_starts_at, item.session_starts_at, viewer.language,
                                  user.timezone)[0] for item in received.items])


ROUTES = [edit_session_form, edit_session, cancel_session_form, cancel_session, workshop_feedback]
