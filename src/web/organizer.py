"""The organizers' pages: the moderation queue (`/organize/moderation`), approve, reject with
a reason; and the attendance dashboard: `GET /organize/dashboard?community=&from=&to=` shows the
report of `booking.reports` (the API's) as two SVG charts drawn on the server — fill rate per
week, attended and no-show seats per workshop — each beside a plain table of the same numbers,
and `GET /organize/dashboard.csv` downloads the API's CSV for the same filters.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent
from litestar import Request, Response, get, post
from litestar.params import FromPath

from accounts import service as accounts_service
from accounts.auth import CurrentUser
from booking import reports
from booking.report_controllers import csv_download
from booking.report_schemas import AttendanceReport
from kernel.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from kernel.http import RuntimeDep
from kernel.i18n import translations
from web.kit import (
    N_,
    UserDep,
    Viewer,
    form_of,
    page_viewer,
    path_id,
    query_string,
    render,
    see_other,
    span,
    text_of,
    when_for,
    zone_of,
)
from web.public import price_text
from workshops import schemas as workshops_schemas
from workshops import service as workshops_service
from workshops.calendar import workshop_path
from workshops.errors import RevisionChanged

LANGUAGE_NAMES = {"en": N_("English"), "fr": N_("French")}

# ----------------------------------------------------------------------------------- moderation

# a revision's fields as the cards name them (the workshop form's labels)
FIELD_LABELS = {
    "title": N_("Title"), "summary": N_("Summary"), "description": N_("Description (optional)"),
    "category": N_("Category"), "tags": N_("Tags (optional)"), "language": N_("Language of the workshop"),
    "venue": N_("Where"), "online_url": N_("Online link"), "payment": N_("How participants pay"),
    "price_cents": N_("Price"), "currency": N_("Currency"),
}
SESSIONS_ON_CARD = 5


def _shown(workshop: workshops_schemas.Workshop, field: str, language: str) -> tuple[str, dict[str, Any]]:
    """A content field as a card shows it: (a msgid or plain text, its values)."""
    match field:
        case "venue":
            venue = workshop.venue
            return ("%(text)s", {"text": f"{venue.name}, {venue.address}"}) if venue else (N_("None"), {})
        case "tags":
            return "%(text)s", {"text": ", ".join(workshop.tags)}
        case "online_url":
            return ("%(text)s", {"text": workshop.online_url}) if workshop.online_url else (N_("None"), {})
        case "payment" | "price_cents" | "currency":
            msgid, price = price_text(workshop, language)
            return msgid, {} if price is None else {"price": price}
        case "language":
            return LANGUAGE_NAMES.get(workshop.language, workshop.language), {}
        case _:
            return "%(text)s", {"text": getattr(workshop, field)}


def moderation_card(item: workshops_schemas.WaitingWorkshop, language: str, viewer_zone: str) -> dict[str, Any]:
    """What a card shows: sessions in the community's zone, place, price, and for a revision each
    changed field as published and as proposed."""
    workshop = item.workshop
    zone = zone_of(item.community_timezone)
    changes = []
    revision = workshop.pending_revision
    if revision is not None:
        proposed = workshops_service.revised(workshop)
        seen_price = False
        for field in revision.fields:
            if field in ("payment", "price_cents", "currency"):
                if seen_price:
                    continue  # one row for the price, however many of its parts changed
                seen_price = True
            changes.append({"label": FIELD_LABELS[field], "field": field,
                            "old": _shown(workshop, field, language), "new": _shown(proposed, field, language)})
    return {
        "workshop": workshop, "community": item.community_name, "revision": revision, "changes": changes,
        "since": when_for(item.waiting_since, item.waiting_since, language, viewer_zone)[0],
        "sessions": [span(s.starts_at, s.ends_at, zone, language) for s in workshop.sessions[:SESSIONS_ON_CARD]],
        "more_sessions": max(0, len(workshop.sessions) - SESSIONS_ON_CARD),
        "place": _shown(workshop, "venue", language), "price": _shown(workshop, "price_cents", language),
    }


@get("/organize/moderation", include_in_schema=False)
async def moderation_queue(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """What waits for review in the communities the user organizes (admins: all): submitted
    workshops and published ones' pending revisions, each card with its sessions, place and
    price, and a revision's changes side by side."""
    queue = await workshops_service.moderation_queue(runtime, user)
    viewer = page_viewer(request, user)
    return render(viewer, "organizer/moderation.html",
                  cards=[moderation_card(item, viewer.language, user.timezone) for item in queue])


@post("/workshops/{workshop_id:str}/approve", include_in_schema=False, back_to="/organize/moderation")
async def approve_workshop(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                           user: UserDep) -> Response:
    # from the workshop's own page, back to it; else back to the queue
    form = await form_of(request)
    back = workshop_path(path_id(workshop_id)) if form.get("back") == "workshop" else "/organize/moderation"
    try:
        seen = workshops_service.seen_revision(form.get("revision"))
        await workshops_service.approve_workshop(runtime, user, path_id(workshop_id), seen_revision=seen)
    except RevisionChanged:
        return see_other(back, runtime.settings, flash=REVISION_CHANGED)
    except (InvalidState, ValidationFailed):
        return see_other(back, runtime.settings, flash=NOT_WAITING)
    return see_other(back, runtime.settings, flash=N_("Approved: the workshop is published."))


NOT_WAITING = N_("This workshop is no longer waiting for review.")
REVISION_CHANGED = N_("The host changed these changes since you saw them: nothing was applied. Look at them again.")
REASON_MESSAGE = N_("Tell the host why, in at most 1,000 characters.")


async def _reject_form(runtime: Any, viewer: Viewer, workshop: workshops_schemas.Workshop, reason: str,
                       errors: dict[str, str]) -> Response:
    return render(viewer, "organizer/reject.html", status=400 if errors else 200,
                  workshop=workshop, reason=reason, errors=errors)


async def _moderated_workshop(runtime: Any, workshop_id: str, user: CurrentUser) -> workshops_schemas.Workshop:
    workshop = await workshops_service.workshop_detail(runtime, path_id(workshop_id), user)
    if not await workshops_service.can_moderate(user, await workshops_service.get_workshop(workshop.id)):
        raise Forbidden("Only the community's organizers may reject its workshops.")
    return workshop


@get("/workshops/{workshop_id:str}/reject", include_in_schema=False)
async def reject_form(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                      user: UserDep) -> Response:
    workshop = await _moderated_workshop(runtime, workshop_id, user)
    return await _reject_form(runtime, page_viewer(request, user), workshop, "", {})


@post("/workshops/{workshop_id:str}/reject", include_in_schema=False, back_to="/workshops/{workshop_id}/reject")
async def reject_workshop(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                          user: UserDep) -> Response:
    """`workshops_service.reject_workshop` with the reason typed; the host is sent it."""
    workshop = await _moderated_workshop(runtime, workshop_id, user)
    reason = text_of(await form_of(request), "reason", 5000)
    try:
        await workshops_service.reject_workshop(runtime, user, workshop.id, reason)
    except ValidationFailed:
        return await _reject_form(runtime, page_viewer(request, user), workshop, reason,
                                  {"reason": REASON_MESSAGE})
    except InvalidState:
        return see_other("/organize/moderation", runtime.settings, flash=NOT_WAITING)
    return see_other("/organize/moderation", runtime.settings, flash=N_("Rejected: the host is sent your reason."))




# ---------------------------------------------------------------------------- the dashboard


# the default range: the recent past and the coming weeks together (organizers plan ahead)
DEFAULT_PAST_DAYS, DEFAULT_AHEAD_DAYS = 28, 56
COMMUNITIES_SHOWN = 100
DATE_MESSAGES = {
    "from": N_("Enter the first day as a date, like 2026-12-31."),
    "to": N_("Enter a last day that is a date, on or after the first day."),
}
TOO_LONG = N_("Choose a range of at most 10 years.")
NOT_ORGANIZER = "Only the organizers of a community may see its dashboard."

# the charts' drawing space (SVG user units; the viewBox scales it to the page's width)
WIDTH = 360
FILL_TOP, FILL_LEFT, FILL_HEIGHT, FILL_BOTTOM = 20, 44, 160, 64
ROW_HEIGHT, ROW_LABEL, BAR_HEIGHT, BAR_LEFT, BAR_RIGHT = 46, 16, 20, 8, 48
TITLE_CHARS = 44


@dataclass(frozen=True)
class WeekFill:
    """The sessions starting in one week (Monday first, in each session's own zone)."""

    monday: dt.date
    sessions: int
    capacity: int  # of the sessions not cancelled
    booked_seats: int  # of the sessions not cancelled
    label: str
    fill_rate: float | None  # booked / capacity, as the report's totals (never a mean of rates)
    x: float = 0
    width: float = 0
    height: float = 0


def weekly_fill(report: AttendanceReport, language: str) -> list[WeekFill]:
    """The report's session rows summed per week: a bar each on the fill-rate chart."""
    weeks: dict[dt.date, list[int]] = {}
    for row in report.items:
        monday = row.starts_at.date() - dt.timedelta(days=row.starts_at.weekday())
        sums = weeks.setdefault(monday, [0, 0, 0])
        sums[0] += 1
        if not row.cancelled:
            sums[1] += row.capacity
            sums[2] += row.booked_seats
    slot = (WIDTH - FILL_LEFT - 8) / max(1, len(weeks))
    skeleton = "MMMd" if report.starts_from.year == report.to.year else "yMMMd"  # which 9 November?
    shown = []
    for i, (monday, (sessions, capacity, booked)) in enumerate(sorted(weeks.items())):
        rate = round(booked / capacity, 4) if capacity else None
        shown.append(WeekFill(
            monday=monday, sessions=sessions, capacity=capacity, booked_seats=booked,
            label=format_skeleton(skeleton, monday, locale=language), fill_rate=rate,
            x=round(FILL_LEFT + i * slot + slot * 0.15, 2), width=round(slot * 0.7, 2),
            height=round(min(rate, 1.0) * FILL_HEIGHT, 2) if rate is not None else 0))
    return shown


@dataclass(frozen=True)
class Segment:
    kind: str  # attended | no_show | unknown
    seats: int
    x: float
    width: float


@dataclass(frozen=True)
class WorkshopBar:
    title: str
    label: str  # the title, shortened to fit the chart (the table has it whole)
    attended: int
    no_show: int
    unknown: int
    booked: int
    y: float
    segments: tuple[Segment, ...]


def workshop_bars(report: AttendanceReport) -> list[WorkshopBar]:
    """Per workshop, its booked seats as one bar stacked attended, no-show, not marked."""
    most = max((w.booked_seats for w in report.workshops), default=0) or 1
    scale = (WIDTH - BAR_LEFT - BAR_RIGHT) / most
    bars = []
    for i, w in enumerate(report.workshops):
        x, segments = float(BAR_LEFT), []
        for kind, seats in (("attended", w.attended_seats), ("no_show", w.no_show_seats),
                            ("unknown", w.unknown_seats)):
            if seats:
                segments.append(Segment(kind, seats, round(x, 2), round(seats * scale, 2)))
                x += seats * scale
        title = w.workshop_title
        bars.append(WorkshopBar(
            title=title, label=title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1] + "…",
            attended=w.attended_seats, no_show=w.no_show_seats, unknown=w.unknown_seats,
            booked=w.booked_seats, y=i * ROW_HEIGHT, segments=tuple(segments)))
    return bars


def percent(rate: float | None, language: str) -> str:
    return "—" if rate is None else format_percent(rate, locale=language)


def _errors_of(exc: ValidationFailed) -> dict[str, str]:
    """The report's refusal of the range, field by field, as the page's messages."""
    errors = {}
    for item in exc.extra.get("errors", []):
        field = item.get("field")
        if field in DATE_MESSAGES:
            errors[field] = TOO_LONG if item.get("reason") == reports.TOO_LONG else DATE_MESSAGES[field]
    return errors or {"from": DATE_MESSAGES["from"]}


async def _community(user: CurrentUser, wanted: str) -> tuple[Any, list[Any]]:
    """The community asked for (else the first the user organizes; admins: any) and those the
    user may pick from. Whoever organizes none is refused; the report checks the one asked."""
    if user.is_admin:
        choices = (await accounts_service.list_communities(COMMUNITIES_SHOWN, 0)).items
    else:
        choices = [c for c in [await accounts_service.find_community_by_slug(s)
                               for s in await accounts_service.organizer_slugs(user.id)] if c is not None]
    slug = wanted or (choices[0].slug if choices else "")
    if not slug:
        raise Forbidden(NOT_ORGANIZER)
    community = next((c for c in choices if c.slug == slug), None) or \
        await accounts_service.find_community_by_slug(slug)
    if community is None:
        raise NotFound(f"No community {slug!r}.")
    return community, choices


def _default_range(community: Any, now: dt.datetime) -> tuple[str, str]:
    today = now.astimezone(zone_of(community.timezone)).date()  # a zone removed from tzdata: UTC
    return ((today - dt.timedelta(days=DEFAULT_PAST_DAYS)).isoformat(),
            (today + dt.timedelta(days=DEFAULT_AHEAD_DAYS)).isoformat())


async def _filters(request: Request, runtime: Any, user: CurrentUser) -> tuple[Any, list[Any], dict[str, str]]:
    params = request.query_params
    community, choices = await _community(user, str(params.get("community") or "").strip()[:100])
    default_from, default_to = _default_range(community, runtime.clock.now())
    filters = {"community": community.slug,
               "from": str(params.get("from") or "").strip()[:40] or default_from,
               "to": str(params.get("to") or "").strip()[:40] or default_to}
    return community, choices, filters


def _page(runtime: Any, viewer: Viewer, community: Any, choices: list[Any], filters: dict[str, str],
          report: AttendanceReport | None, errors: dict[str, str]) -> Response:
    language = viewer.language
    values: dict[str, Any] = {}
    if report is not None:
        weeks = weekly_fill(report, language)
        bars = workshop_bars(report)
        values = dict(weeks=weeks, bars=bars, total=report.total,
                      first=format_date(report.starts_from, "long", locale=language),
                      last=format_date(report.to, "long", locale=language),
                      fill_height=FILL_HEIGHT, fill_top=FILL_TOP, fill_left=FILL_LEFT, width=WIDTH,
                      fill_svg_height=FILL_TOP + FILL_HEIGHT + FILL_BOTTOM,
                      bars_svg_height=max(1, len(bars)) * ROW_HEIGHT + 8, row_label=ROW_LABEL,
                      bar_height=BAR_HEIGHT, bar_left=BAR_LEFT,
                      rating=format_decimal(report.total.average_rating, format="0.0", locale=language)
                      if report.total.average_rating is not None else "—",
                      csv_url="/organize/dashboard.csv" + query_string(filters),
                      csv_semicolon_url="/organize/dashboard.csv" + query_string(filters, sep=";"))
    return render(viewer, "organizer/dashboard.html", status=400 if errors else 200,
                  community=community, choices=choices, filters=filters, errors=errors, report=report,
                  percent=lambda rate: percent(rate, language), **values)


@get("/organize/dashboard", include_in_schema=False)
async def dashboard(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """The community's attendance over a date range (by default the past 4 weeks and the next 8)."""
    community, choices, filters = await _filters(request, runtime, user)
    viewer = page_viewer(request, user)
    try:
        report = await reports.attendance_report(runtime, user, community.slug, filters["from"],
                                                 filters["to"])
    except ValidationFailed as exc:
        return _page(runtime, viewer, community, choices, filters, None, _errors_of(exc))
    return _page(runtime, viewer, community, choices, filters, report, {})


# The CSV's column headings for a reader of the dashboard in another language than English (an
# English one gets the API's keys, as the JSON and the API's CSV name them)
CSV_HEADINGS = {
    "session_id": N_("Session number"), "workshop_id": N_("Workshop number"), "workshop_title": N_("Workshop"),
    "starts_at": N_("Start"), "capacity": N_("Seats in all"), "booked_seats": N_("Booked seats"),
    "attended_seats": N_("Seats present"), "no_show_seats": N_("Seats absent"),
    "late_cancellations": N_("Late cancellations"), "waitlist_length": N_("On the waitlist"),
    "fill_rate": N_("Fill rate"), "average_rating": N_("Average rating"), "unknown_seats": N_("Seats not marked"),
    "no_show_rate": N_("No-show rate"), "waitlist_promoted": N_("Served from the waitlist"),
    "new_participants": N_("New participants"), "returning_participants": N_("Returning participants"),
    "cancelled": N_("Session cancelled"), "host_id": N_("Host number"), "host_name": N_("Host's name"),
    "rating_count": N_("Number of ratings"), "relay_bookings": N_("Booked by relays"),
    "walk_in_seats": N_("Walk-ins (seats)"), "standby_seats_served": N_("Served from standby (seats)"),
    "released_no_show_seats": N_("Released no-shows (seats)"),
}


def csv_headings(language: str) -> list[str] | None:
    """The CSV's header line in `language`; None (the API's keys) in English."""
    if language == "en":
        return None
    gettext = translations(language).gettext
    return [gettext(CSV_HEADINGS[column]) for column in reports.COLUMNS]


@get("/organize/dashboard.csv", include_in_schema=False)
async def dashboard_csv(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """The API's CSV of the session rows for the dashboard's filters (`sep=;` as in the API),
    headed in the viewer's language (French headings for a French reader)."""
    community, _choices, filters = await _filters(request, runtime, user)
    separator = reports.check_separator(request.query_params.get("sep"))
    report = await reports.attendance_report(runtime, user, community.slug, filters["from"], filters["to"])
    return csv_download(report, separator, csv_headings(page_viewer(request, user).language))


ROUTES = [moderation_queue, approve_workshop, reject_form, reject_workshop, dashboard, dashboard_csv]
