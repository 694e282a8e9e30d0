"""The host's pages: their workshops (`/host`), propose and edit (`/workshops/new`,
`/workshops/{id}/edit`, the API's create and update bodies field by field), submit, add sessions
(`/workshops/{id}/sessions/new`: one date, or a weekly/monthly repeat turned into the RRULE the
API takes), reschedule and cancel a session (`/sessions/{id}/edit|cancel`, each saying how many
people will be told), the feedback a workshop received (`/workshops/{id}/feedback`), and the
roster at the door (`/sessions/{id}/roster`: who is coming, what to collect on site; mark
attended or no-show; check in by code) for the host, the community's organizers and admins.

Thin handlers over `workshops.service`, `booking.service` and `booking.attendance`, the same
functions as the JSON API. A refused form is shown again with what was typed, an error summary
at the top and a message next to each field.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from litestar import Request, Response, get, post
from litestar.params import FromPath

from accounts import service as accounts_service
from accounts.auth import CurrentUser
from accounts.errors import EmailNotVerified
from booking import attendance, feedback
from booking import rules as booking_rules
from booking import service as booking_service
from booking.errors import CapacityBelowBookings, MarksOnCancelledSession
from booking.schemas import BookingStatus, Roster, SessionChange
from kernel.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from kernel.http import RuntimeDep
from kernel.phones import display_phone
from web.kit import (
    CATEGORY_LABELS,
    N_,
    UserDep,
    Viewer,
    average_text,
    decimal_number,
    form_of,
    in_order,
    moment,
    money,
    page_number,
    page_viewer,
    path_id,
    render,
    see_other,
    session_when,
    text_of,
    when_for,
    whole_number,
)
from web.organizer import REASON_MESSAGE
from web.public import COMMUNITIES_SHOWN, PAYMENTS, STATUS_NAMES
from workshops import rules as workshops_rules
from workshops import schemas as workshops_schemas
from workshops import recipes
from workshops import service as workshops_service
from workshops.calendar import workshop_path
from workshops.enums import Payment, SessionStatus, WaitlistMode, WorkshopStatus
from workshops.errors import PaymentsNotConfigured


async def _managed_workshop(runtime: Any, workshop_id: str, user: CurrentUser) -> workshops_schemas.Workshop:
    """The workshop for its host: NotFound for whoever may not see it (as the API), Forbidden
    for whoever may see it but does not host it."""
    workshop = await workshops_service.workshop_detail(runtime, path_id(workshop_id), user)
    if workshop.host.id != user.id:
        raise Forbidden("Only the workshop's host may do this.")
    return workshop




# ------------------------------------------------------------------------------------ /host

NEXT_STEPS = {
    WorkshopStatus.draft: N_("Draft: add sessions, then submit it for review."),
    WorkshopStatus.submitted: N_("Waiting for an organizer's review."),
    WorkshopStatus.rejected: N_("Not accepted: read the reason, edit it and submit it again."),
    WorkshopStatus.published: N_("Published: neighbours can book it."),
    WorkshopStatus.cancelled: N_("Cancelled."),
    WorkshopStatus.archived: N_("Over."),
}


@get("/host", include_in_schema=False)
async def host_dashboard(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """The user's own workshops, every status, each with what to do next."""
    viewer = page_viewer(request, user)
    workshops = await workshops_service.hosted_workshops(runtime, user)
    recipe_of = await recipes.recipe_states(runtime, [w.id for w in workshops])
    shown = [{"workshop": w, "step": NEXT_STEPS[w.status], "status": STATUS_NAMES[w.status],
              "recipe": recipe_of.get(w.id, (False, None)),
              "when": when_for(w.next_session.starts_at, w.next_session.ends_at, viewer.language, user.timezone)
              if w.next_session else None} for w in workshops]
    organizes = user.is_admin or bool(await accounts_service.organizer_slugs(user.id))
    return render(viewer, "host/dashboard.html", workshops=shown,
                  organizes=organizes, statuses=WorkshopStatus, submittable=SUBMITTABLE)


SUBMITTABLE = frozenset({WorkshopStatus.draft, WorkshopStatus.rejected})  # workshops_rules.status_after_submit


# -------------------------------------------------------------------------- the workshop form

WORKSHOP_FIELDS = (
    "community", "title", "summary", "description", "category", "category_other", "tags", "language", "venue_name",
    "venue_address", "venue_lat", "venue_lon", "online_url", "payment", "price", "currency", "capacity",
    "max_seats_per_booking", "waitlist_enabled", "waitlist_mode", "offer_ttl_minutes",
    "cancellation_deadline_hours",
)
# where the API's `errors[].field` is shown on the form
FORM_FIELD_OF = {
    "venue": "venue_name", "venue.name": "venue_name", "venue.address": "venue_address",
    "venue.lat": "venue_lat", "venue.lon": "venue_lon", "price_cents": "price",
    "waitlist": "waitlist_mode", "waitlist.enabled": "waitlist_enabled", "waitlist.mode": "waitlist_mode",
    "waitlist.offer_ttl_minutes": "offer_ttl_minutes",
    "category": "category_other",  # a key always passes: what the API refuses is the host's own words
}
VENUE_OR_ONLINE = N_("Give a venue (its name and address) or an online link.")
NO_ONLINE_PAYMENT = N_("This site takes no online payments yet: choose Free or Paid on site.")
WORKSHOP_MESSAGES = {
    "community": N_("Choose the community the workshop is for."),
    "title": N_("Enter a title of at most 200 characters."),
    "summary": N_("Enter a summary of at most 500 characters."),
    "description": N_("Shorten the description to at most 20,000 characters."),
    "category": N_("Choose a category, or Other and name it."),
    "category_other": N_("Name the category in at most 40 characters, like upcycling."),
    "tags": N_("Separate tags with commas: at most 20 tags of up to 40 characters."),
    "language": N_("Choose the language the workshop is held in."),
    "venue_name": N_("Enter the venue's name (at most 200 characters)."),
    "venue_address": N_("Enter the venue's address (at most 500 characters)."),
    "venue_lat": N_("Enter a latitude from -90 to 90 with the longitude, or leave both empty."),
    "venue_lon": N_("Enter a longitude from -180 to 180 with the latitude, or leave both empty."),
    "online_url": N_("Enter a web address starting with https://."),
    "payment": N_("Choose how participants pay."),
    "price": N_("Enter the price of a paid workshop, like 5 or 7.50."),
    "currency": N_("Enter a currency code such as EUR."),
    "capacity": N_("Enter the number of seats, from 1 to 10,000."),
    "max_seats_per_booking": N_("Enter how many seats one person may book, from 1 to 100."),
    "waitlist_enabled": N_("Choose whether the waitlist is open."),
    "waitlist_mode": N_("Choose how freed seats are given."),
    "offer_ttl_minutes": N_("Enter how long an offer stays open, from 1 to 10,080 minutes."),
    "cancellation_deadline_hours": N_("Enter a number of hours from 0 to 8,784."),
}
LANGUAGE_NAMES = {"en": N_("English"), "fr": N_("French")}
CATEGORY_CHOICES = [(key, CATEGORY_LABELS[key]) for key in (*workshops_rules.CATEGORY_KEYS, workshops_rules.OTHER_CATEGORY)]
WAITLIST_MODES = {WaitlistMode.auto: N_("Give freed seats to the next in line at once"),
                  WaitlistMode.offer: N_("Offer freed seats to the next in line for a while")}


def _price_text(price_cents: int, currency: str) -> str:
    if not price_cents:
        return ""
    return str(Decimal(price_cents).scaleb(-get_currency_precision(currency.upper())))


def _category_values(category: str) -> dict[str, str]:
    """The category list's choice and the "Other" text for a stored category."""
    if category in workshops_rules.CATEGORY_KEYS:
        return {"category": category, "category_other": ""}
    return {"category": workshops_rules.OTHER_CATEGORY, "category_other": category}


def _category_of(values: dict[str, Any], errors: dict[str, str]) -> str:
    """The API's `category` from the list's choice (a key), or "Other" and its text."""
    chosen = values["category"]
    if chosen == workshops_rules.OTHER_CATEGORY:
        if not values["category_other"]:
            errors["category_other"] = WORKSHOP_MESSAGES["category_other"]
        return values["category_other"]
    if not chosen:
        errors["category"] = WORKSHOP_MESSAGES["category"]
    return chosen  # a key, or words sent by an older form: the API checks them


def workshop_values(workshop: workshops_schemas.Workshop) -> dict[str, Any]:
    """The form's fields (as typed text) for an existing workshop."""
    venue = workshop.venue
    return {
        "community": workshop.community, "title": workshop.title, "summary": workshop.summary,
        "description": workshop.description, **_category_values(workshop.category), "tags": ", ".join(workshop.tags),
        "language": workshop.language, "venue_name": venue.name if venue else "",
        "venue_address": venue.address if venue else "",
        "venue_lat": "" if not venue or venue.lat is None else str(venue.lat),
        "venue_lon": "" if not venue or venue.lon is None else str(venue.lon),
        "online_url": workshop.online_url or "", "payment": str(workshop.payment),
        "price": _price_text(workshop.price_cents, workshop.currency), "currency": workshop.currency.upper(),
        "capacity": str(workshop.capacity), "max_seats_per_booking": str(workshop.max_seats_per_booking),
        "waitlist_enabled": workshop.waitlist.enabled, "waitlist_mode": str(workshop.waitlist.mode),
        "offer_ttl_minutes": str(workshop.waitlist.offer_ttl_minutes),
        "cancellation_deadline_hours": str(workshop.cancellation_deadline_hours),
    }


def new_workshop_values(community: str, language: str) -> dict[str, Any]:
    return {name: "" for name in WORKSHOP_FIELDS} | {
        "community": community, "language": language, "payment": Payment.free, "currency": "EUR",
        "max_seats_per_booking": "4", "waitlist_enabled": True, "waitlist_mode": WaitlistMode.auto,
        "offer_ttl_minutes": "60", "cancellation_deadline_hours": "24"}


def _cents(text: str, currency: str) -> int | None:
    """`7.50` (or `7,50`) in the currency's units as cents (its minor units), else None."""
    text = text.strip().replace(",", ".")
    if not re.fullmatch(r"\d{1,9}(\.\d{1,4})?", text):
        return None
    precision = get_currency_precision(currency.upper()) if workshops_rules.normalise_currency(currency) else 2
    cents = Decimal(text).scaleb(precision)
    return int(cents) if cents == cents.to_integral_value() and cents > 0 else None


def _typed_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: text_of(form, name).strip() for name in WORKSHOP_FIELDS
                              if name not in ("description", "waitlist_enabled")}
    values["description"] = text_of(form, "description").replace("\r\n", "\n")
    values["waitlist_enabled"] = form.get("waitlist_enabled") == "on"
    return values


def _body_from(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API's create body from the form's text (numbers read here, every rule left to the
    service), and the fields whose text is not a number at all."""
    errors: dict[str, str] = {}

    def number(name: str, read=whole_number, optional: bool = False) -> Any:
        if optional and not values[name]:
            return None
        found = read(values[name])
        if found is None:
            errors[name] = WORKSHOP_MESSAGES[name]
        return found

    lat, lon = number("venue_lat", decimal_number, True), number("venue_lon", decimal_number, True)
    has_venue = any(values[name] for name in ("venue_name", "venue_address", "venue_lat", "venue_lon"))
    currency = values["currency"] or "EUR"
    price_cents = 0
    if values["payment"] != Payment.free:  # a free workshop's price field is not read
        price_cents = _cents(values["price"], currency)
        if price_cents is None:
            errors["price"] = WORKSHOP_MESSAGES["price"]
    body = {
        "community": values["community"], "title": values["title"], "summary": values["summary"],
        "description": values["description"], "category": _category_of(values, errors),
        "tags": [tag.strip() for tag in values["tags"].split(",") if tag.strip()],
        "language": values["language"] or None,
        "venue": workshops_schemas.Venue(name=values["venue_name"], address=values["venue_address"], lat=lat, lon=lon)
        if has_venue else None,
        "online_url": values["online_url"] or None, "payment": values["payment"], "price_cents": price_cents,
        "currency": currency, "capacity": number("capacity"),
        "max_seats_per_booking": number("max_seats_per_booking"),
        "waitlist": workshops_schemas.Waitlist(enabled=values["waitlist_enabled"], mode=values["waitlist_mode"],
                                     offer_ttl_minutes=number("offer_ttl_minutes")),
        "cancellation_deadline_hours": number("cancellation_deadline_hours"),
    }
    return body, errors


def workshop_errors(exc: Exception) -> dict[str, str]:
    """The API's refusal, field by field, as the form's messages."""
    if isinstance(exc, PaymentsNotConfigured):
        return {"payment": NO_ONLINE_PAYMENT}
    errors: dict[str, str] = {}
    for item in exc.extra.get("errors", []) if isinstance(exc, ValidationFailed) else []:
        api_field = item["field"].split("[")[0]
        name = FORM_FIELD_OF.get(api_field, api_field)
        if name in WORKSHOP_MESSAGES:
            errors.setdefault(name, VENUE_OR_ONLINE if api_field == "venue" else WORKSHOP_MESSAGES[name])
    return errors or {"title": WORKSHOP_MESSAGES["title"]}


def _payments(runtime: Any, values: dict[str, Any]) -> dict[str, str]:
    """The ways to pay this site can take: online only when Stripe is configured (or when the
    workshop already is, so its form still shows what it has)."""
    if runtime.settings.payments_configured or values.get("payment") == Payment.stripe:
        return PAYMENTS
    return {key: label for key, label in PAYMENTS.items() if key != Payment.stripe}


async def _workshop_form(runtime: Any, viewer: Viewer, values: dict[str, Any], errors: dict[str, str],
                         workshop: workshops_schemas.Workshop | None = None) -> Response:
    communities = [] if workshop is not None else [
        (c.slug, c.name) for c in (await accounts_service.list_communities(COMMUNITIES_SHOWN, 0)).items]
    return render(viewer, "host/workshop_form.html", status=400 if errors else 200,
                  values=values, errors=in_order(errors, WORKSHOP_FIELDS), workshop=workshop,
                  communities=communities, languages=LANGUAGE_NAMES, payments=_payments(runtime, values),
                  waitlist_modes=WAITLIST_MODES, categories=CATEGORY_CHOICES)


@get("/workshops/new", include_in_schema=False)
async def new_workshop_form(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    viewer = page_viewer(request, user)
    communities = await accounts_service.list_communities(2, 0)
    chosen = str(request.query_params.get("community") or "")[:64]
    if not chosen and communities.total == 1:
        chosen = communities.items[0].slug
    return await _workshop_form(runtime, viewer, new_workshop_values(chosen, viewer.language), {})


@post("/workshops/new", include_in_schema=False, back_to="/workshops/new")
async def create_workshop(request: Request, runtime: RuntimeDep, user: UserDep) -> Response:
    """The API's create body from the form, then `workshops_service.create_workshop`: a draft."""
    values = _typed_values(await form_of(request))
    body, errors = _body_from(values)
    if not errors:
        try:
            created = await workshops_service.create_workshop(runtime, user, workshops_schemas.WorkshopCreate(**body))
        except (ValidationFailed, PaymentsNotConfigured) as exc:
            errors = workshop_errors(exc)
        except EmailNotVerified:  # the form shows why, with the way to get the link again
            return see_other("/workshops/new", runtime.settings,
                             flash=N_("Confirm your email address first: follow the link we emailed you, or ask for a new one below."))
        else:
            return see_other(workshop_path(created.id), runtime.settings,
                             flash=N_("Your draft is saved. Add its sessions, then submit it for review."))
    return await _workshop_form(runtime, page_viewer(request, user), values, errors)


@get("/workshops/{workshop_id:str}/edit", include_in_schema=False)
async def edit_workshop_form(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                             user: UserDep) -> Response:
    workshop = await _managed_workshop(runtime, workshop_id, user)
    # a pending revision is what the host edits (workshops_service.update_workshop)
    return await _workshop_form(runtime, page_viewer(request, user),
                                workshop_values(workshops_service.revised(workshop)), {}, workshop)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: only what the host changed (the community is not editable)."""
    return {name: value for name, value in after.items() if name != "community" and before.get(name) != value}


@post("/workshops/{workshop_id:str}/edit", include_in_schema=False, back_to="/workshops/{workshop_id}/edit")
async def update_workshop(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                          user: UserDep) -> Response:
    """The fields the host changed, sent to `workshops_service.update_workshop` as the API's PATCH."""
    workshop = await _managed_workshop(runtime, workshop_id, user)
    values = {**_typed_values(await form_of(request)), "community": workshop.community}
    body, errors = _body_from(values)
    if not errors:
        before, _ = _body_from(workshop_values(workshops_service.revised(workshop)))
        changes = _changes(before, body)
        if not changes:
            return see_other(workshop_path(workshop.id), runtime.settings, flash=N_("Nothing was changed."))
        try:
            updated = await workshops_service.update_workshop(runtime, user, workshop.id, workshops_schemas.WorkshopUpdate(**changes))
        except (ValidationFailed, PaymentsNotConfigured) as exc:
            errors = workshop_errors(exc)
        except InvalidState:
            return see_other(workshop_path(workshop.id), runtime.settings,
                             flash=N_("This workshop can no longer be changed."))
        else:
            return see_other(workshop_path(workshop.id), runtime.settings, flash=N_(
                "Saved. Your changes are shown once an organizer approves them; meanwhile the "
                "published version stays open for booking.") if updated.pending_revision is not None
                else N_("Your changes are saved."))
    return await _workshop_form(runtime, page_viewer(request, user), values, errors, workshop)


@post("/workshops/{workshop_id:str}/submit", include_in_schema=False, back_to="/host")
async def submit_workshop(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                          user: UserDep) -> Response:
    try:
        done = await workshops_service.submit_workshop(runtime, user, path_id(workshop_id))
    except InvalidState:
        return see_other("/host", runtime.settings, flash=N_("Only a draft or a rejected workshop can be submitted."))
    except ValidationFailed:  # a draft made from a recipe, with no place yet
        return see_other(f"/workshops/{path_id(workshop_id)}/edit", runtime.settings, flash=VENUE_OR_ONLINE)
    return see_other(workshop_path(done.id), runtime.settings, flash=N_(
        "Submitted: an organizer will review it.") if done.status == WorkshopStatus.submitted
        else N_("Published: neighbours can book it now."))


# -------------------------------------------------------------------------------- sessions form

SESSION_FIELDS = ("date", "time", "duration", "timezone", "capacity", "repeat", "interval", "weekdays",
                  "count", "until")
WEEKDAYS = (("MO", N_("Monday")), ("TU", N_("Tuesday")), ("WE", N_("Wednesday")), ("TH", N_("Thursday")),
            ("FR", N_("Friday")), ("SA", N_("Saturday")), ("SU", N_("Sunday")))
REPEATS = {"none": N_("Once"), "weekly": N_("Every week or every few weeks"),
           "monthly": N_("Every month, on the same day of the month")}
DURATION_MAX_MINUTES = int(workshops_rules.SESSION_MAX_DURATION.total_seconds() // 60)
SESSION_MESSAGES = {
    "date": N_("Enter the date, like 2026-12-31."),
    "time": N_("Enter the start time, like 14:30."),
    "duration": N_("Enter how long it lasts, from 1 minute to 7 days (10,080 minutes)."),
    "timezone": N_("Enter a time zone such as Europe/Paris."),
    "capacity": N_("Enter the number of seats, from 1 to 10,000, or leave it empty."),
    "repeat": N_("Choose how often it repeats."),
    "interval": N_("Repeat every 1 to 1,000 weeks or months."),
    "weekdays": N_("Choose the days of the week."),
    "count": N_("Enter how many sessions, from 1 to 52."),
    "until": N_("Enter the last day, like 2027-03-31."),
}
PAST_START = N_("Choose a date and time in the future.")
FAR_START = N_("Choose a date within the next 10 years.")
TOO_MANY = N_("A repeat makes at most 52 sessions: choose fewer, or an earlier last day.")
BEYOND_HORIZON = N_("Every session must start within the next 10 years: choose an earlier last day.")
NO_SESSION = N_("This repeat makes no session: check the days and the last day.")


def new_session_values(timezone: str) -> dict[str, Any]:
    return {"date": "", "time": "", "duration": "120", "timezone": timezone, "capacity": "", "repeat": "none",
            "interval": "1", "weekdays": [], "end": "count", "count": "4", "until": ""}


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()) else None
    except ValueError:
        return None


def _time(text: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(text.strip()) if re.fullmatch(r"\d{2}:\d{2}", text.strip()) else None
    except ValueError:
        return None


def session_rrule(values: dict[str, Any], day: dt.date) -> tuple[str | None, dict[str, str]]:
    """The RRULE of a weekly or monthly repeat (None: once), and what cannot be read."""
    if values["repeat"] == "none":
        return None, {}
    errors: dict[str, str] = {}
    interval = whole_number(values["interval"])
    if interval is None:
        errors["interval"] = SESSION_MESSAGES["interval"]
    if values["repeat"] == "weekly":
        days = [code for code, _ in WEEKDAYS if code in values["weekdays"]] or [WEEKDAYS[day.weekday()][0]]
        rule = f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={','.join(days)}"
    else:
        rule = f"FREQ=MONTHLY;INTERVAL={interval};BYMONTHDAY={day.day}"
    if values["end"] == "until":
        until = _date(values["until"])
        if until is None:
            errors["until"] = SESSION_MESSAGES["until"]
        else:
            rule += f";UNTIL={until:%Y%m%d}"
    else:
        count = whole_number(values["count"])
        if count is None or count < 1:
            errors["count"] = SESSION_MESSAGES["count"]
        rule += f";COUNT={count}"
    return rule, errors


def session_errors(exc: ValidationFailed, values: dict[str, Any]) -> dict[str, str]:
    """The API's refusal of a session (its RRULE caps included) as the form's messages."""
    errors: dict[str, str] = {}
    for item in exc.extra.get("errors", []):
        field, reason = item["field"], item.get("reason")
        if field == "starts_at":
            errors["date"] = {workshops_rules.PAST: PAST_START, workshops_rules.TOO_FAR: FAR_START}.get(
                reason, SESSION_MESSAGES["date"])
        elif field == "ends_at":
            errors["duration"] = SESSION_MESSAGES["duration"]
        elif field in ("timezone", "capacity"):
            errors[field] = SESSION_MESSAGES[field]
        elif field == "rrule":
            end = "until" if values.get("end") == "until" else "count"
            if reason == workshops_rules.INTERVAL:
                errors["interval"] = SESSION_MESSAGES["interval"]
            elif reason == workshops_rules.TOO_MANY:
                errors[end] = TOO_MANY
            elif reason == workshops_rules.BEYOND_HORIZON:
                errors[end] = BEYOND_HORIZON
            else:
                errors["repeat"] = NO_SESSION
    return errors or {"date": SESSION_MESSAGES["date"]}


def _session_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: text_of(form, name, 100).strip()
                              for name in ("date", "time", "duration", "timezone", "capacity", "repeat",
                                           "interval", "end", "count", "until")}
    values["weekdays"] = [str(day)[:2] for day in form.getall("weekdays", [])][:7]
    values["repeat"] = values["repeat"] if values["repeat"] in REPEATS else "none"
    return values


def session_times(values: dict[str, Any], errors: dict[str, str]) -> tuple[dt.datetime, dt.datetime] | None:
    """Naive start and end (read by the service in the chosen zone) from date, time and length."""
    day, start, minutes = _date(values["date"]), _time(values["time"]), whole_number(values["duration"])
    for name, found in (("date", day), ("time", start), ("duration", minutes)):
        if found is None:
            errors[name] = SESSION_MESSAGES[name]
    if day is None or start is None or minutes is None:
        return None
    begins = dt.datetime.combine(day, start)
    try:
        return begins, begins + dt.timedelta(minutes=min(minutes, DURATION_MAX_MINUTES + 1))
    except OverflowError:  # the last days of year 9999
        errors["date"] = SESSION_MESSAGES["date"]
        return None


def _session_form(runtime: Any, viewer: Viewer, workshop: workshops_schemas.Workshop, values: dict[str, Any],
                  errors: dict[str, str]) -> Response:
    return render(viewer, "host/session_form.html", status=400 if errors else 200,
                  workshop=workshop, values=values, errors=in_order(errors, SESSION_FIELDS),
                  weekdays=WEEKDAYS, repeats=REPEATS, max_sessions=workshops_rules.MAX_OCCURRENCES)


@get("/workshops/{workshop_id:str}/sessions/new", include_in_schema=False)
async def new_sessions_form(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                            user: UserDep) -> Response:
    workshop = await _managed_workshop(runtime, workshop_id, user)
    return _session_form(runtime, page_viewer(request, user), workshop,
                         new_session_values(user.timezone), {})


@post("/workshops/{workshop_id:str}/sessions/new", include_in_schema=False, back_to="/workshops/{workshop_id}/sessions/new")
async def add_sessions(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                       user: UserDep) -> Response:
    """One session, or a repeat as an RRULE: the API's `workshops_service.add_sessions` either way."""
    workshop = await _managed_workshop(runtime, workshop_id, user)
    values = _session_values(await form_of(request))
    errors: dict[str, str] = {}
    times = session_times(values, errors)
    rrule, rule_errors = session_rrule(values, times[0].date()) if times else (None, {})
    errors.update(rule_errors)
    capacity = whole_number(values["capacity"]) if values["capacity"] else None
    if values["capacity"] and capacity is None:
        errors["capacity"] = SESSION_MESSAGES["capacity"]
    if not errors and times:
        try:
            created = await workshops_service.add_sessions(runtime, user, workshop.id, workshops_schemas.SessionCreate(
                starts_at=times[0], ends_at=times[1], timezone=values["timezone"], capacity=capacity, rrule=rrule))
        except ValidationFailed as exc:
            errors = session_errors(exc, values)
        except InvalidState:
            return see_other(workshop_path(workshop.id), runtime.settings,
                             flash=N_("This workshop can no longer be changed."))
        else:
            return see_other(workshop_path(workshop.id), runtime.settings, flash=N_(
                "The session is added.") if created.total == 1 else N_("The sessions are added."))
    return _session_form(runtime, page_viewer(request, user), workshop, values, errors)




# ------------------------------------------------------------------- reschedule, cancel


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
    return render(viewer, "host/session_edit.html",
                  status=409 if summary else 400 if errors else 200, session=session, workshop=workshop,
                  values=values, errors=in_order(errors, EDIT_FIELDS), summary=summary, when=when,
                  told=_told_of_new_time(roster))


@get("/sessions/{session_id:str}/edit", include_in_schema=False)
async def edit_session_form(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                            user: UserDep) -> Response:
    session, workshop, roster = await _session_for(runtime, session_id, user, host_only=True)
    return _edit_page(runtime, page_viewer(request, user), session, workshop, roster,
                      _values_of(session), {}, [])


@post("/sessions/{session_id:str}/edit", include_in_schema=False, back_to="/sessions/{session_id}/edit")
async def edit_session(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                       user: UserDep) -> Response:
    """The changed times (naive, read in the zone chosen) or capacity, through
    `booking.service.change_session` as the API's PATCH."""
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
            return see_other(workshop_path(workshop.id), runtime.settings, flash=N_("Nothing was changed."))
        try:
            await booking_service.change_session(runtime, user, session.id, SessionChange(**change))
        except ValidationFailed as exc:
            errors = session_errors(exc, {})
        except CapacityBelowBookings:
            errors["capacity"] = BELOW_BOOKINGS
        except InvalidState:
            summary.append(CLOSED)
        else:
            return see_other(workshop_path(workshop.id), runtime.settings, flash=N_(
                "The session is changed; the people who booked are sent the new time."))
    return _edit_page(runtime, page_viewer(request, user), session, workshop, roster, values,
                      errors, summary)


def _cancel_page(runtime: Any, viewer: Viewer, session: Any, workshop: Any, roster: Roster, reason: str,
                 errors: dict[str, str], summary: list[str]) -> Response:
    when = when_for(session.starts_at, session.ends_at, viewer.language,
                    viewer.user.timezone if viewer.user else session.timezone)
    return render(viewer, "host/session_cancel.html",
                  status=409 if summary else 400 if errors else 200, session=session, workshop=workshop,
                  reason=reason, errors=errors, summary=summary, when=when,
                  booked=len(roster.items), waiting=len(roster.waitlist), told=_told_of_cancellation(roster))


@get("/sessions/{session_id:str}/cancel", include_in_schema=False)
async def cancel_session_form(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                              user: UserDep) -> Response:
    session, workshop, roster = await _session_for(runtime, session_id, user, host_only=False)
    return _cancel_page(runtime, page_viewer(request, user), session, workshop, roster, "", {}, [])


@post("/sessions/{session_id:str}/cancel", include_in_schema=False, back_to="/sessions/{session_id}/cancel")
async def cancel_session(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                         user: UserDep) -> Response:
    """`booking.service.cancel_session` with the reason every participant is sent."""
    session, workshop, roster = await _session_for(runtime, session_id, user, host_only=False)
    reason = text_of(await form_of(request), "reason", 5000)
    errors: dict[str, str] = {}
    summary: list[str] = []
    if not reason.strip() or len(reason.strip()) > 1000:
        errors["reason"] = REASON_MESSAGE  # SessionCancel's limits, which the service does not repeat
    else:
        try:
            await booking_service.cancel_session(runtime, user, session.id, reason)
        except ValidationFailed:
            errors["reason"] = REASON_MESSAGE
        except InvalidState:
            summary.append(CLOSED)
        else:
            return see_other(workshop_path(workshop.id), runtime.settings,
                             flash=N_("The session is cancelled; everyone who booked or waited is told."))
    return _cancel_page(runtime, page_viewer(request, user), session, workshop, roster, reason,
                        errors, summary)


@post("/workshops/{workshop_id:str}/feedback/{feedback_id:str}", include_in_schema=False,
      back_to="/workshops/{workshop_id}/feedback")
async def hide_feedback(workshop_id: FromPath[str], feedback_id: FromPath[str], request: Request,
                        runtime: RuntimeDep, user: UserDep) -> Response:
    """`action=hide` or `show`: `feedback.set_hidden` (an organizer of the community, or an
    admin; the audit keeps who hid it); back to the page the button was on."""
    form = await form_of(request)
    action = str(form.get("action") or "")
    if action not in ("hide", "show"):
        raise ValidationFailed("action: hide or show", errors=[
            {"field": "action", "message": "hide or show", "source": "body"}])
    await feedback.set_hidden(runtime, user, path_id(feedback_id), action == "hide")
    page = page_number(request.query_params.get("page"))
    back = f"/workshops/{path_id(workshop_id)}/feedback" + (f"?page={page}" if page > 1 else "")
    return see_other(back, runtime.settings, flash=N_("The comment is hidden from the host and the public pages.")
                     if action == "hide" else N_("The comment is shown again."))


@get("/workshops/{workshop_id:str}/feedback", include_in_schema=False)
async def workshop_feedback(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                            user: UserDep) -> Response:
    """Ratings and comments as `GET /api/v1/workshops/{id}/feedback` gives them to this reader."""
    number = path_id(workshop_id)
    page = page_number(request.query_params.get("page"))
    received = await feedback.of_workshop(runtime, user, number, FEEDBACK_PAGE, (page - 1) * FEEDBACK_PAGE)
    workshop = await workshops_service.get_workshop(number)
    viewer = page_viewer(request, user)
    pages = max(1, math.ceil(received.total / FEEDBACK_PAGE))
    average = None if received.rating.average is None else average_text(
        received.rating.average, viewer.language)
    # an organizer of its community (or an admin) may hide an abusive comment, or show it again
    moderates = user.is_admin or workshop.community_slug in await accounts_service.organizer_slugs(user.id)
    return render(viewer, "host/feedback.html", workshop=workshop, received=received,
                  page=page, pages=pages, average=average, moderates=moderates,
                  dates=[when_for(item.session_starts_at, item.session_starts_at, viewer.language,
                                  user.timezone)[0] for item in received.items])




# ------------------------------------------------------------------------------- the roster


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
MARKS_CLOSED = N_("Nothing was changed: attendance can be marked until 7 days after the session ended.")
SESSION_CANCELLED = N_("Nothing was changed: this session is cancelled.")
NOT_CONFIRMED = N_("Nothing was changed: only a confirmed booking can be marked.")


def refusal_message(exc: InvalidState) -> str:
    """The service's InvalidState as a msgid the page can show in the viewer's language: the
    window's refusals carry `opens_at`/`closed_at`, a cancelled session only says so in its
    detail (`booking_rules.ensure_marks_open`); anything else is `booking_rules.ensure_markable`'s."""
    if "opens_at" in exc.extra:
        return NOT_OPEN_YET
    if "closed_at" in exc.extra:
        return MARKS_CLOSED
    if isinstance(exc, MarksOnCancelledSession):
        return SESSION_CANCELLED
    return NOT_CONFIRMED


def _window(record: Any, now: dt.datetime, language: str) -> tuple[str, dict[str, str]] | None:
    """What the page says above the buttons when marking is not possible now (the service
    decides on each POST; this only tells the host before they try)."""
    if record.status == SessionStatus.cancelled:
        return N_("This session is cancelled: there is no attendance to mark."), {}
    opens = record.starts_at - booking_rules.CHECKIN_OPENS_BEFORE_START
    closes = record.ends_at + booking_rules.MARKS_CLOSE_AFTER_END
    if now < opens:
        when = moment(opens, record.zone, language)
        return N_("Check-in opens on %(when)s, 1 hour before the session starts: until then the buttons "
                  "change nothing."), {"when": when}
    if now > closes:
        when = moment(closes, record.zone, language)
        return N_("Attendance could be marked until %(when)s, 7 days after the session ended: the buttons "
                  "change nothing now."), {"when": when}
    return None



def _back(session_id: int, suffix: str = "") -> str:
    return f"/sessions/{session_id}/roster{suffix}"


def _roster_back(params: dict[str, str]) -> str:
    """Where a visitor's roster post goes back to after logging in: its roster (ids checked
    first, so a path naming no booking stays a 404)."""
    path_id(params.get("booking_id", "1"))
    return _back(path_id(params["session_id"]))


@get("/sessions/{session_id:str}/roster", include_in_schema=False)
async def roster_page(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                      user: UserDep) -> Response:
    """The session's roster; whoever may not manage it is refused by the service (403, or 404
    when the workshop is not visible to them)."""
    sid = path_id(session_id)
    roster = await attendance.roster(runtime, user, sid)
    record = await workshops_service.get_session(sid)
    workshop = await workshops_service.get_workshop(record.workshop_id)
    session = await workshops_service.session_detail(runtime, sid, user)
    viewer = page_viewer(request, user)
    language = viewer.language
    checked = request.query_params.get("checked_in", "")
    return render(
        viewer, "host/roster.html", roster=roster, workshop=workshop, session=session,
        when=session_when(session, language), window=_window(record, runtime.clock.now(), language),
        collect={item.booking_id: money(item.amount_cents, item.currency, language)
                 for item in roster.items if item.payment == Payment.on_site and item.amount_cents},
        collect_total=_collect_total(roster, language),
        checked_in=next((item for item in roster.items if str(item.booking_id) == checked), None),
        again=request.query_params.get("again") == "1",
        confirmed=BookingStatus.confirmed,
        release_minutes=int(runtime.settings.noshow_release.total_seconds() // 60),
        phones={item.booking_id: display_phone(item.guest_phone) for item in roster.items if item.guest_phone},
    )


def _collect_total(roster: Roster, language: str) -> list[str]:
    """What the door collects in all, per currency (on-site payments of active bookings)."""
    sums: dict[str, int] = {}
    for item in roster.items:
        if item.payment == Payment.on_site and item.amount_cents:
            sums[item.currency] = sums.get(item.currency, 0) + item.amount_cents
    return [money(cents, currency, language) for currency, cents in sorted(sums.items())]


@post("/sessions/{session_id:str}/roster/{booking_id:str}", include_in_schema=False, back_to=_roster_back)
async def mark_attendance(session_id: FromPath[str], booking_id: FromPath[str], request: Request,
                          runtime: RuntimeDep, user: UserDep) -> Response:
    """Field `attendance`: attended, no_show or unknown (undoes a mistaken mark)."""
    sid, bid = path_id(session_id), path_id(booking_id)
    value = str((await request.form()).get("attendance") or "")
    if value not in ATTENDANCE_VALUES:
        raise ValidationFailed("attendance: attended, no_show or unknown", errors=[
            {"field": "attendance", "message": "attended, no_show or unknown", "source": "body"}])
    row = await booking_service.booking_with_parties(bid)
    if row is None or row["session"] != sid:
        raise NotFound("no such booking in this session")
    back = _back(sid, f"#booking-{bid}")
    try:
        await attendance.mark(runtime, user, bid, value)
    except InvalidState as exc:
        return see_other(back, runtime.settings, flash=refusal_message(exc))
    return see_other(back, runtime.settings, flash=MARKED[value])


@post("/sessions/{session_id:str}/checkin", include_in_schema=False, back_to=_roster_back)
async def check_in(session_id: FromPath[str], request: Request, runtime: RuntimeDep,
                   user: UserDep) -> Response:
    """Field `code`, typed as printed or in any case, with or without dashes (the service
    reads it); the roster then names who was checked in."""
    sid = path_id(session_id)
    code = str((await request.form()).get("code") or "").strip()[:CODE_MAX]
    settings = runtime.settings
    if not code:
        return see_other(_back(sid, "#checkin"), settings, flash=NO_CODE)
    try:
        booking, already = await attendance.check_in_code_telling(runtime, user, sid, code)
    except InvalidState as exc:
        return see_other(_back(sid, "#checkin"), settings, flash=refusal_message(exc))
    except NotFound:
        await attendance.roster(runtime, user, sid)  # an unknown session stays a 404
        return see_other(_back(sid, "#checkin"), settings, flash=WRONG_CODE)
    # back to the code field, ready for the next person, saying who this was
    return see_other(_back(sid, f"?checked_in={booking.id}{'&again=1' if already else ''}#checkin"), settings,
                     flash=None if already else CHECKED_IN)



# ------------------------------------------------------------- the link in the participant's QR code

async def _checkin_target(runtime: Any, user: CurrentUser, booking_id: str, code: str) -> tuple[Any, Any]:
    """The booking the link names, if the code is its own (else 404), and its roster line;
    whoever may not manage the session is refused by the roster (403, or 404)."""
    bid = path_id(booking_id)
    row = await booking_service.booking_with_parties(bid)
    typed = code.strip()[:CODE_MAX]
    if row is None or row["checkin_code"] not in (typed, booking_rules.normalise_checkin_code(typed)):
        raise NotFound("no booking with this check-in link")
    roster = await attendance.roster(runtime, user, row["session"])
    item = next((i for i in roster.items if i.booking_id == bid), None)
    if item is None:  # cancelled or expired: its code no longer works
        raise NotFound("this booking has no working check-in code")
    return row, item


def _checkin_back(params: dict[str, str]) -> str:
    return f"/checkin/{path_id(params['booking_id'])}/{params['code'][:CODE_MAX]}"


@get("/checkin/{booking_id:str}/{code:str}", include_in_schema=False)
async def checkin_page(booking_id: FromPath[str], code: FromPath[str], request: Request, runtime: RuntimeDep,
                       user: UserDep) -> Response:
    """What the participant's QR code opens on the host's phone: who, how many seats, what to
    collect, and a Check in button (for the host, organizers and admins; others 403/404)."""
    row, item = await _checkin_target(runtime, user, booking_id, code)
    viewer = page_viewer(request, user)
    language = viewer.language
    session = await workshops_service.session_detail(runtime, row["session"], user)
    workshop = await workshops_service.get_workshop(session.workshop_id)
    record = await workshops_service.get_session(row["session"])
    return render(viewer, "host/checkin.html", item=item, workshop=workshop, session=session,
                  when=session_when(session, language), code=row["checkin_code"],
                  window=_window(record, runtime.clock.now(), language),
                  collect=money(item.amount_cents, item.currency, language)
                  if item.payment == Payment.on_site and item.amount_cents else None,
                  again=request.query_params.get("again") == "1",
                  done=request.query_params.get("done") == "1")


@post("/checkin/{booking_id:str}/{code:str}", include_in_schema=False, back_to=_checkin_back)
async def checkin_by_link(booking_id: FromPath[str], code: FromPath[str], runtime: RuntimeDep,
                          user: UserDep) -> Response:
    """Checks the booking in (the service's check-in by code, so the same window and audit),
    then back to the same page, which says so (or that they already were)."""
    row, item = await _checkin_target(runtime, user, booking_id, code)
    here = f"/checkin/{item.booking_id}/{row['checkin_code']}"
    try:
        _, already = await attendance.check_in_code_telling(runtime, user, row["session"], row["checkin_code"])
    except InvalidState as exc:
        return see_other(here, runtime.settings, flash=refusal_message(exc), notice=True)
    return see_other(here + ("?again=1" if already else "?done=1"), runtime.settings,
                     flash=None if already else CHECKED_IN)


# /workshops/new before /workshops/{id}, which would also match it
ROUTES = [host_dashboard, new_workshop_form, create_workshop, edit_workshop_form, update_workshop,
          submit_workshop, new_sessions_form, add_sessions, edit_session_form, edit_session,
          cancel_session_form, cancel_session, workshop_feedback, hide_feedback, roster_page, mark_attendance, check_in,
          checkin_page, checkin_by_link]
