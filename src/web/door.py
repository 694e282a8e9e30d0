"""The door and the desk (issue 22): the printable slip of a booking (`/bookings/{id}/slip`),
the printable programme of a community (`/communities/{slug}/programme`), short links
(`/s/{code}`), the organizers' relays page (`/organize/communities/{slug}/relays`), a relay's
desk (`/desk`: book for a neighbour) and their neighbours' bookings (`/me/neighbours`), and
the roster's door forms (walk-in, standby, release of no-shows).

Thin handlers over `accounts.service`, `booking.service`, `booking.slip` and
`workshops.service`, the same functions as the JSON API.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from litestar.response import Redirect
from markupsafe import Markup

from accounts import service as accounts_service
from accounts.auth import is_organizer_of
from booking import service as booking_service
from booking.schemas import DoorCreate, Guest
from booking.slip import qr_inline_svg, slip_view
from kernel.errors import DomainError, Forbidden, NotFound, ValidationFailed
from kernel.http import ProblemResponses, RuntimeDep
from kernel.i18n import LANGUAGES
from kernel.phones import display_phone
from web.kit import (
    N_,
    MaybeUserDep,
    UserDep,
    _static_response,
    form_of,
    money,
    page_viewer,
    path_id,
    render,
    see_other,
    span,
    text_of,
    whole_number,
)
from workshops import service as workshops_service
from workshops.enums import Payment

DESK_DAYS = 60
REFUSALS = {
    "session-full": N_("Not enough seats left."),
    "invalid-state": N_("This cannot be done now."),
    "booking-closed": N_("Booking is closed for this session."),
    "forbidden": N_("You may not do this."),
    "validation-error": N_("Check the name, the phone number and the seats."),
    "rate-limited": N_("Too many bookings in a short time: try again later."),
}


def _refusal(error: DomainError) -> str:
    return REFUSALS.get(error.slug, N_("This cannot be done now."))


def _price(payment: str, cents: int, currency: str, language: str) -> tuple[str, str | None]:
    if payment == Payment.free or not cents:
        return N_("Free"), None
    if payment == Payment.on_site:
        return N_("%(amount)s, paid on site"), money(cents, currency, language)
    return N_("%(amount)s, paid online"), money(cents, currency, language)


_problems = ProblemResponses({
    403: "forbidden: not the booking's participant, its relay, host or an organizer (a browser gets the same as a page)",
    404: "not-found (a browser gets the same as a page)"})
_SEE_OTHER = {303: ResponseSpec(data_container=None, description="See Other: the workshop's page (`Location`)")}


# ------------------------------------------------------------------------------------ the slip

@get("/bookings/{booking_id:str}/slip", tags=["pages"], summary="A booking's printable slip (HTML)",
     description="For its participant, the relay who made it, the host and organizers: A6 / half-A4 HTML with "
                 "the check-in code in large type and as a QR code; `?lang=en|fr`. A visitor gets the "
                 "login page.", media_type="text/html", responses=_problems(403, 404))
async def slip(booking_id: FromPath[str], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """A6 / half-A4 slip in the guest's language: the relay's (the person told of the booking),
    or `?lang=`."""
    row = await slip_view(runtime, user, path_id(booking_id))
    viewer = page_viewer(request, user)
    wanted = str(request.query_params.get("lang") or "")
    language = wanted if wanted in LANGUAGES else (row["p_locale"] if row["p_locale"] in LANGUAGES else viewer.language)
    viewer = type(viewer)(language=language, csrf_token=viewer.csrf_token, user=user, flash=None,
                          path=viewer.path, cookies=viewer.cookies)
    zone = ZoneInfo(row["s_timezone"])
    starts, ends = _as_dt(row["s_starts_at"]), _as_dt(row["s_ends_at"])
    when = span(starts, ends, zone, language)
    price_msgid, price = _price(row["w_payment"], row["b_amount_cents"], row["b_currency"], language)
    name = row["b_guest_name"] if row["b_user"] is None else row["p_display_name"]
    return render(viewer, "door/slip.html", row=row, when=when, price_msgid=price_msgid, price=price, name=name,
                  qr=Markup(qr_inline_svg(row["b_checkin_code"])), base=runtime.settings.base_url,
                  cancelled=row["b_status"] != "confirmed")


def _as_dt(value: Any) -> dt.datetime:
    from kernel.sql import as_datetime

    return as_datetime(value)


@get("/static/paper.css", include_in_schema=False, sync_to_thread=False)
def paper_stylesheet() -> Response:
    """The printable pages' stylesheet (slip, programme)."""
    return _static_response("paper.css")


# ------------------------------------------------------------------- short codes, programme

@get("/s/{code:str}", tags=["pages"], summary="A session's short code: 303 to its workshop page",
     description="Six characters without look-alikes, any case; unknown → 404 page.",
     responses={**_SEE_OTHER, **_problems(404)})
async def short_link(code: FromPath[str]) -> Redirect:
    """A session's short code (any case) → 303 to its workshop's page; unknown → 404."""
    _, workshop_id = await workshops_service.session_of_short_code(code)
    return Redirect(path=f"/workshops/{workshop_id}", status_code=303)


@get("/communities/{slug:str}/programme", tags=["pages"], summary="A community's printable programme (HTML)",
     description="The published sessions of the next 14 days on A4, with short codes, places and prices.",
     media_type="text/html", responses=_problems(404))
async def programme(slug: FromPath[str], request: Request, runtime: RuntimeDep,
                    maybe_user: MaybeUserDep) -> Response:
    """The community's sessions of the next 14 days on A4 paper, with their short codes."""
    community = await accounts_service.get_community(slug)
    viewer = page_viewer(request, maybe_user)
    language = viewer.language
    now = runtime.clock.now()
    zone = ZoneInfo(community.timezone)
    lines = []
    for row in await workshops_service.programme(community.id, now):
        start, end = _as_dt(row["starts_at"]), _as_dt(row["ends_at"])
        price_msgid, price = _price(row["payment"], row["price_cents"], row["currency"], language)
        lines.append(dict(row=row, when=span(start, end, ZoneInfo(row["timezone"]), language),
                          price_msgid=price_msgid, price=price))
    until = now + dt.timedelta(days=workshops_service.PROGRAMME_DAYS)
    return render(viewer, "door/programme.html", community=community, lines=lines,
                  period=span(now, until, zone, language), base=runtime.settings.base_url)


# ---------------------------------------------------------------------- organizers: relays

def _relays_path(slug: str) -> str:
    return f"/organize/communities/{slug}/relays"


async def _organized(user: Any, slug: str) -> Any:
    community = await accounts_service.get_community(slug)
    if not user.is_admin and not await is_organizer_of(user, community.id):
        raise Forbidden("Only the community's organizers may manage its relays.")
    return community


@get("/organize/communities/{slug:str}/relays", include_in_schema=False)
async def relays_page(slug: FromPath[str], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    community = await _organized(user, slug)
    relays = await accounts_service.community_relays(community.id)
    return render(page_viewer(request, user), "door/relays.html", community=community, relays=relays.items,
                  errors={}, email="")


@post("/organize/communities/{slug:str}/relays", include_in_schema=False, back_to="/organize/communities/{slug}/relays")
async def add_relay(slug: FromPath[str], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    community = await _organized(user, slug)
    email = text_of(await form_of(request), "email", 320).strip()
    try:
        await accounts_service.name_relay(community.slug, email)
    except (NotFound, ValidationFailed) as error:
        relays = await accounts_service.community_relays(community.id)
        message = N_("No account has this email.") if isinstance(error, NotFound) else N_("Enter an email address.")
        return render(page_viewer(request, user), "door/relays.html", status=400, community=community,
                      relays=relays.items, errors={"email": message}, email=email)
    return see_other(_relays_path(community.slug), runtime.settings, flash=N_("Relay added."))


@post("/organize/communities/{slug:str}/relays/{user_id:str}/remove", include_in_schema=False,
      back_to="/organize/communities/{slug}/relays")
async def remove_relay(slug: FromPath[str], user_id: FromPath[str], request: Request, runtime: RuntimeDep,
                       user: UserDep) -> Response:
    community = await _organized(user, slug)
    await accounts_service.remove_relay(community.id, path_id(user_id))
    return see_other(_relays_path(community.slug), runtime.settings, flash=N_("Relay removed."))


# ---------------------------------------------------------------- relays: the desk and theirs

NEIGHBOURS = "/me/neighbours"


@get(NEIGHBOURS, include_in_schema=False)
async def neighbours_page(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """The bookings this user made for neighbours: see, print, cancel."""
    viewer = page_viewer(request, user)
    now = runtime.clock.now()
    lines = []
    for row in await booking_service.neighbours_bookings(user):
        starts, ends = _as_dt(row["s_starts_at"]), _as_dt(row["s_ends_at"])
        lines.append(dict(row=row, when=span(starts, ends, ZoneInfo(row["s_timezone"]), viewer.language),
                          phone=display_phone(row["b_guest_phone"]) if row["b_guest_phone"] else None,
                          cancellable=row["b_status"] == "confirmed" and starts > now))
    communities = await accounts_service.relay_communities(user.id)
    return render(viewer, "door/neighbours.html", lines=lines, communities=communities)


@post("/me/neighbours/{booking_id:str}/cancel", include_in_schema=False, back_to=NEIGHBOURS)
async def cancel_neighbour(booking_id: FromPath[str], request: Request, runtime: RuntimeDep,
                           user: UserDep) -> Response:
    number = path_id(booking_id)  # a path naming no booking is a 404
    try:
        await booking_service.cancel_booking(runtime, user, number)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        return see_other(NEIGHBOURS, runtime.settings, flash=_refusal(error))
    return see_other(NEIGHBOURS, runtime.settings, flash=N_("The booking is cancelled."))


async def _desk_sessions(runtime: Any, user: Any, language: str) -> list[tuple[str, str]]:
    """(session id, label) of the sessions a relay may book at the desk: the next 60 days of
    their communities' free and on-site workshops."""
    options = []
    now = runtime.clock.now()
    for community in await accounts_service.relay_communities(user.id):
        for row in await workshops_service.programme(community.id, now, days=DESK_DAYS):
            if row["payment"] == Payment.stripe:
                continue
            when = span(_as_dt(row["starts_at"]), _as_dt(row["ends_at"]), ZoneInfo(row["timezone"]), language)
            options.append((str(row["id"]), f"{row['title']} — {when[0]} ({community.name})"))
    return options


@get("/desk", include_in_schema=False)
async def desk_form(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    viewer = page_viewer(request, user)
    return render(viewer, "door/desk.html", options=await _desk_sessions(runtime, user, viewer.language),
                  values={"seats": "1"}, errors={})


@post("/desk", include_in_schema=False, back_to="/desk")
async def desk_book(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    viewer = page_viewer(request, user)
    form = await form_of(request)
    values = {name: text_of(form, name, 400).strip() for name in ("session", "name", "phone", "note", "seats")}
    errors: dict[str, str] = {}
    session_id = whole_number(values["session"])
    seats = whole_number(values["seats"])
    if session_id is None:
        errors["session"] = N_("Choose a session.")
    if not values["name"]:
        errors["name"] = N_("Enter the neighbour's name.")
    if seats is None or not 1 <= seats <= 100:
        errors["seats"] = N_("Enter a number of seats.")
    if not errors:
        guest = Guest(name=values["name"][:100], phone=values["phone"] or None, note=values["note"][:300] or None)
        try:
            booking, _ = await booking_service.book_for_guest(runtime, user, session_id, seats, guest)
        except ValidationFailed as error:
            fields = {e.get("field") for e in error.extra.get("errors") or []}
            if "guest.phone" in fields:
                errors["phone"] = N_("Enter a phone number, like 06 12 34 56 78.")
            else:
                errors["seats"] = N_("Check the name, the phone number and the seats.")
        except DomainError as error:
            errors["session"] = _refusal(error)
        else:
            return see_other(f"/bookings/{booking.id}/slip", runtime.settings, flash=None)
    return render(viewer, "door/desk.html", status=400, options=await _desk_sessions(runtime, user, viewer.language),
                  values=values, errors=errors)


# ------------------------------------------------------------------------ the roster's door

def _roster(session_id: int, anchor: str = "#door") -> str:
    return f"/sessions/{session_id}/roster{anchor}"


def _door_back(params: dict[str, str]) -> str:
    return _roster(path_id(params["session_id"]))


async def _door_body(request: Request) -> DoorCreate:
    form = await form_of(request)
    seats = whole_number(text_of(form, "seats", 10).strip() or "1")
    if seats is None or not 1 <= seats <= 100:
        raise ValidationFailed("seats: 1 to 100", errors=[{"field": "seats", "message": "1 to 100"}])
    return DoorCreate(name=text_of(form, "name", 100).strip() or None, seats=seats)


@post("/sessions/{session_id:str}/walk-in", include_in_schema=False, back_to=_door_back)
async def walk_in(session_id: FromPath[str], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    sid = path_id(session_id)
    try:
        await booking_service.add_walk_in(runtime, user, sid, await _door_body(request))
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        return see_other(_roster(sid), runtime.settings, flash=_refusal(error))
    return see_other(_roster(sid), runtime.settings, flash=N_("Walk-in added."))


@post("/sessions/{session_id:str}/standby", include_in_schema=False, back_to=_door_back)
async def standby(session_id: FromPath[str], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    sid = path_id(session_id)
    try:
        await booking_service.add_standby(runtime, user, sid, await _door_body(request))
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        return see_other(_roster(sid), runtime.settings, flash=_refusal(error))
    return see_other(_roster(sid), runtime.settings, flash=N_("Added to the standby list."))


@post("/sessions/{session_id:str}/release-no-shows", include_in_schema=False, back_to=_door_back)
async def release(session_id: FromPath[str], request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    sid = path_id(session_id)
    try:
        await booking_service.release_no_shows(runtime, user, sid)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        return see_other(_roster(sid), runtime.settings, flash=_refusal(error))
    return see_other(_roster(sid), runtime.settings, flash=N_("No-shows released to the standby list."))


ROUTES = [paper_stylesheet, slip, short_link, programme, relays_page, add_relay, remove_relay, neighbours_page, cancel_neighbour,
          desk_form, desk_book, walk_in, standby, release]
