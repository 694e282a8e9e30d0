"""HTML pages of workshops. Public: the home page `/` (upcoming workshops of a community, with
filters and pages), a workshop's page `GET /workshops/{id}` (the page emails and feeds link
to; its Markdown description rendered, then sanitised) and a host's profile `GET /hosts/{id}`.
For hosts: their workshops (`/host`), propose and edit (`/workshops/new`,
`/workshops/{id}/edit`, the API's create and update bodies field by field), submit, and add
sessions (`/workshops/{id}/sessions/new`: one date, or a weekly/monthly repeat turned into the
RRULE the API takes). For organizers: the moderation queue (`/organize/moderation`), approve,
reject with a reason. (Rescheduling and cancelling a session, and a workshop's feedback, call
the booking engine: `booking.session_pages`.)

Thin handlers over `workshops.service` (the same listing and detail functions as the JSON API),
rendered with `kernel.pages` from `templates/workshops/` (extending `templates/base.html`;
autoescaped; no JavaScript), in the visitor's language (see `kernel.pages.chosen_language`).
Unknown ids and workshops the visitor may not see raise NotFound: a browser gets the 404 page,
an API client the problem+json; a visitor on a page for logged-in people is sent to log in.
A refused form is shown again with what was typed, an error summary at the top and a message
next to each field: the API's `errors[].field` names are mapped to the form's fields.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import nh3
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, get_currency_precision
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from markdown_it import MarkdownIt
from markupsafe import Markup

from accounts import service as accounts_service
from accounts.auth import CurrentUser
from accounts.pages import login_redirect, page_viewer
from kernel.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from kernel.http import RuntimeDep
from kernel.i18n import page_language  # noqa: F401 - other packages' pages import it from here
from kernel.pages import N_, Viewer, form_of, path_id, query_string, render, see_other
from workshops import rules, schemas, service
from workshops.enums import Payment, SessionStatus, WaitlistMode, WorkshopStatus
from workshops.errors import PaymentsNotConfigured

MaybeUserDep = NamedDependency[CurrentUser | None]

UPCOMING_SHOWN = 100
PAGE_SIZE = 10
MAX_PAGE = 1000
COMMUNITIES_SHOWN = 100
FILTERS = ("community", "q", "category", "from", "to", "payment", "within")
DISTANCES_KM = ("1", "2", "5", "10", "25")
PAYMENTS = {"free": N_("Free"), "on_site": N_("Paid on site"), "stripe": N_("Paid online")}
FILTER_MESSAGES = {
    "from": N_("Enter the first day as a date, like 2026-12-31."),
    "to": N_("Enter a last day that is a date, on or after the first day."),
    "q": N_("Search for at most 200 characters."),
    "category": N_("Enter a shorter category."),
}
CHECK_FILTER = N_("Check this filter.")


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
    return _when_text(session.starts_at, session.ends_at, language)  # already in the session's zone


def _when_text(start: dt.datetime, end: dt.datetime, language: str) -> tuple[str, str]:
    first = f"{format_date(start, 'full', locale=language)}, {format_time(start, 'short', locale=language)}"
    if end.date() == start.date():
        return first, format_time(end, "short", locale=language)
    return first, f"{format_date(end, 'full', locale=language)}, {format_time(end, 'short', locale=language)}"


def _upcoming(workshop: schemas.Workshop, now: dt.datetime) -> list[schemas.Session]:
    return [s for s in workshop.sessions if s.status == SessionStatus.SCHEDULED and s.starts_at > now]



# Markdown as CommonMark with raw HTML off (typed tags stay text), then nh3 (Ammonia) keeps only
# these tags and attributes, http(s)/mailto links (no `javascript:`), and marks links nofollow
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True})
DESCRIPTION_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
                    "h3", "h4", "h5", "h6", "hr"}
HEADING_SHIFT = 2  # a description's "# Title" is an h3 under the page's h1 and "About" h2


def description_html(text: str) -> Markup:
    """A workshop's Markdown description as safe HTML: headings moved under the page's own."""
    tokens = _MARKDOWN.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + HEADING_SHIFT)}"
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return Markup(nh3.clean(html, tags=DESCRIPTION_TAGS, attributes={"a": {"href", "title"}},
                            url_schemes={"http", "https", "mailto"},
                            link_rel="nofollow noopener noreferrer"))


def rating_text(rating: schemas.Rating, language: str) -> tuple[str, dict[str, Any]]:
    """(a msgid, its values): the average out of 5, or that there are too few ratings."""
    if rating.average is None:
        return N_("Not rated yet"), {}
    return N_("Rated %(average)s out of 5 (%(count)s ratings)"), {
        "average": format_decimal(round(rating.average, 1), format="0.0", locale=language), "count": rating.count}


def cards(workshops: list[schemas.WorkshopSummary], language: str) -> list[dict[str, Any]]:
    """What a workshop's card in a list shows, formatted in the page's language."""
    shown = []
    for workshop in workshops:
        price_msgid, price = price_text(workshop, language)  # type: ignore[arg-type]
        when = session_when(workshop.next_session, language) if workshop.next_session else None
        shown.append({"workshop": workshop, "price_msgid": price_msgid, "price": price, "when": when,
                      "rating": rating_text(workshop.rating, language)})
    return shown


@get("/workshops/{workshop_id:str}", include_in_schema=False)
async def workshop_page(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                        maybe_user: MaybeUserDep) -> Response:
    """A workshop's public page; unknown ids and workshops the visitor may not see are 404."""
    workshop = await service.workshop_detail(runtime, path_id(workshop_id), maybe_user)
    viewer = page_viewer(request, runtime, maybe_user)
    language = viewer.language
    upcoming = _upcoming(workshop, runtime.clock.now())
    price_msgid, price = price_text(workshop, language)
    return render(
        runtime.settings, viewer, "workshops/workshop.html", workshop=workshop, price_msgid=price_msgid,
        price=price, sessions=[(s, *session_when(s, language)) for s in upcoming[:UPCOMING_SHOWN]],
        more_sessions=max(0, len(upcoming) - UPCOMING_SHOWN), statuses=WorkshopStatus,
        rating=rating_text(workshop.rating, language), description=description_html(workshop.description),
        manages=maybe_user is not None and maybe_user.id == workshop.host.id,
    )


@get("/hosts/{host_id:str}", include_in_schema=False)
async def host_page(host_id: FromPath[str], request: Request, runtime: RuntimeDep,
                    maybe_user: MaybeUserDep) -> Response:
    """A host's public profile: bio, skills, rating and published workshops (404 for anyone else)."""
    host = await service.host_profile(runtime, path_id(host_id))
    viewer = page_viewer(request, runtime, maybe_user)
    return render(runtime.settings, viewer, "workshops/host.html", host=host,
                  rating=rating_text(host.rating, viewer.language), cards=cards(host.workshops, viewer.language))


def _page_number(text: str | None) -> int:
    return int(text) if text and re.fullmatch(r"\d{1,4}", text) and 0 < int(text) <= MAX_PAGE else 1


@get("/", include_in_schema=False)
async def home(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """The upcoming workshops of the community (the only one, or the one picked), filtered and
    paged by the listing of the API; several communities and none picked: the list of them."""
    viewer = page_viewer(request, runtime, maybe_user)
    settings, language = runtime.settings, viewer.language
    params = request.query_params
    filters = {name: str(params.get(name) or "").strip()[:300] for name in FILTERS}
    number = _page_number(params.get("page"))
    community = None
    if filters["community"]:
        community = await accounts_service.find_community_by_slug(filters["community"])
        if community is None:
            raise NotFound("No such community.")
    else:
        communities = await accounts_service.list_communities(COMMUNITIES_SHOWN, 0)
        if communities.total != 1:
            return render(settings, viewer, "workshops/communities.html", communities=communities.items,
                          more=communities.total > len(communities.items))
        community = communities.items[0]
    near = f"{community.lat},{community.lon}" if community.lat is not None and community.lon is not None else None
    within = filters["within"] if near and filters["within"] in DISTANCES_KM else ""
    payment = filters["payment"] if filters["payment"] in PAYMENTS else ""
    errors: dict[str, str] = {}
    listing = schemas.WorkshopList(items=[], total=0)
    try:
        query = await service.listing_query(
            community=community.slug, category=filters["category"] or None, q=filters["q"] or None,
            starts_from=filters["from"] or None, starts_to=filters["to"] or None,
            near=near if within else None, radius_km=within or None, payment=payment or None)
        listing = await service.list_workshops(runtime, query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    except ValidationFailed as exc:
        for item in exc.extra.get("errors", []):
            errors[item["field"]] = FILTER_MESSAGES.get(item["field"], CHECK_FILTER)
        errors = errors or {"q": CHECK_FILTER}
    kept = {**filters, "within": within, "payment": payment}
    pages = max(1, math.ceil(listing.total / PAGE_SIZE))
    return render(
        settings, viewer, "workshops/home.html", status=400 if errors else 200, community=community,
        filters=kept, errors=errors, cards=cards(listing.items, language), total=listing.total,
        page=number, pages=pages, payments=PAYMENTS, distances=DISTANCES_KM if near else (),
        previous_url="/" + query_string(kept, page=number - 1 if number > 2 else None) if number > 1 else None,
        next_url="/" + query_string(kept, page=number + 1) if number < pages else None,
        filtered=any(kept[name] for name in FILTERS if name != "community"),
    )



# ------------------------------------------------------------------------------ shared by forms

def when_for(start: dt.datetime, end: dt.datetime, language: str, zone_name: str) -> tuple[str, str]:
    """Start and end as `session_when` writes them, in the viewer's time zone."""
    try:
        zone: dt.tzinfo = ZoneInfo(zone_name)
    except (ValueError, OSError, ZoneInfoNotFoundError):  # a zone since removed from tzdata
        zone = dt.UTC
    return _when_text(start.astimezone(zone), end.astimezone(zone), language)


def text_of(form: Any, name: str, limit: int = 25_000) -> str:
    return str(form.get(name) or "")[:limit]


def whole_number(text: str) -> int | None:
    """A form's integer (digits only), else None."""
    text = text.strip()
    return int(text) if re.fullmatch(r"\d{1,9}", text) else None


def decimal_number(text: str) -> float | None:
    """A form's decimal number, with a point or a comma (`48,87`), else None."""
    text = text.strip().replace(",", ".")
    if not re.fullmatch(r"-?\d{1,4}(\.\d{1,12})?", text):
        return None
    return float(text)


def in_order(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The errors in the form's order, so the summary reads as the page does."""
    return {name: errors[name] for name in fields if name in errors}


def user_or_login(request: Request, runtime: Any, maybe_user: CurrentUser | None,
                  back_to: str | None = None) -> CurrentUser | Response:
    """The user, or for a visitor the redirect to log in (then back to `back_to`, a GET page)."""
    return maybe_user if maybe_user is not None else login_redirect(request, runtime, back_to)


async def _managed_workshop(runtime: Any, workshop_id: str, user: CurrentUser) -> schemas.Workshop:
    """The workshop for its host: NotFound for whoever may not see it (as the API), Forbidden
    for whoever may see it but does not host it."""
    workshop = await service.workshop_detail(runtime, path_id(workshop_id), user)
    if workshop.host.id != user.id:
        raise Forbidden("Only the workshop's host may do this.")
    return workshop


# ------------------------------------------------------------------------------------ /host

NEXT_STEPS = {
    WorkshopStatus.DRAFT: N_("Draft: add sessions, then submit it for review."),
    WorkshopStatus.SUBMITTED: N_("Waiting for an organizer's review."),
    WorkshopStatus.REJECTED: N_("Not accepted: read the reason, edit it and submit it again."),
    WorkshopStatus.PUBLISHED: N_("Published: neighbours can book it."),
    WorkshopStatus.CANCELLED: N_("Cancelled."),
    WorkshopStatus.ARCHIVED: N_("Over."),
}
STATUS_NAMES = {
    WorkshopStatus.DRAFT: N_("Draft"), WorkshopStatus.SUBMITTED: N_("Submitted"),
    WorkshopStatus.REJECTED: N_("Rejected"), WorkshopStatus.PUBLISHED: N_("Published"),
    WorkshopStatus.CANCELLED: N_("Cancelled"), WorkshopStatus.ARCHIVED: N_("Archived"),
}


@get("/host", include_in_schema=False)
async def host_dashboard(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """The user's own workshops, every status, each with what to do next."""
    user = user_or_login(request, runtime, maybe_user)
    if isinstance(user, Response):
        return user
    viewer = page_viewer(request, runtime, user)
    workshops = await service.hosted_workshops(runtime, user)
    shown = [{"workshop": w, "step": NEXT_STEPS[w.status], "status": STATUS_NAMES[w.status],
              "when": when_for(w.next_session.starts_at, w.next_session.ends_at, viewer.language, user.timezone)
              if w.next_session else None} for w in workshops]
    organizes = user.is_admin or bool(await accounts_service.organizer_slugs(user.id))
    return render(runtime.settings, viewer, "workshops/host_dashboard.html", workshops=shown,
                  organizes=organizes, statuses=WorkshopStatus, submittable=SUBMITTABLE)


SUBMITTABLE = frozenset({WorkshopStatus.DRAFT, WorkshopStatus.REJECTED})  # rules.status_after_submit


# -------------------------------------------------------------------------- the workshop form

WORKSHOP_FIELDS = (
    "community", "title", "summary", "description", "category", "tags", "language", "venue_name",
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
}
VENUE_OR_ONLINE = N_("Give a venue (its name and address) or an online link.")
NO_ONLINE_PAYMENT = N_("This site takes no online payments yet: choose Free or Paid on site.")
WORKSHOP_MESSAGES = {
    "community": N_("Choose the community the workshop is for."),
    "title": N_("Enter a title of at most 200 characters."),
    "summary": N_("Enter a summary of at most 500 characters."),
    "description": N_("Shorten the description to at most 20,000 characters."),
    "category": N_("Enter a category of at most 40 characters, like repair or cooking."),
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
WAITLIST_MODES = {WaitlistMode.AUTO: N_("Give freed seats to the next in line at once"),
                  WaitlistMode.OFFER: N_("Offer freed seats to the next in line for a while")}


def _price_text(price_cents: int, currency: str) -> str:
    if not price_cents:
        return ""
    return str(Decimal(price_cents).scaleb(-get_currency_precision(currency.upper())))


def workshop_values(workshop: schemas.Workshop) -> dict[str, Any]:
    """The form's fields (as typed text) for an existing workshop."""
    venue = workshop.venue
    return {
        "community": workshop.community, "title": workshop.title, "summary": workshop.summary,
        "description": workshop.description, "category": workshop.category, "tags": ", ".join(workshop.tags),
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
        "community": community, "language": language, "payment": Payment.FREE, "currency": "EUR",
        "max_seats_per_booking": "4", "waitlist_enabled": True, "waitlist_mode": WaitlistMode.AUTO,
        "offer_ttl_minutes": "60", "cancellation_deadline_hours": "24"}


def _cents(text: str, currency: str) -> int | None:
    """`7.50` (or `7,50`) in the currency's units as cents (its minor units), else None."""
    text = text.strip().replace(",", ".")
    if not re.fullmatch(r"\d{1,9}(\.\d{1,4})?", text):
        return None
    precision = get_currency_precision(currency.upper()) if rules.normalise_currency(currency) else 2
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
    if values["payment"] != Payment.FREE:  # a free workshop's price field is not read
        price_cents = _cents(values["price"], currency)
        if price_cents is None:
            errors["price"] = WORKSHOP_MESSAGES["price"]
    body = {
        "community": values["community"], "title": values["title"], "summary": values["summary"],
        "description": values["description"], "category": values["category"],
        "tags": [tag.strip() for tag in values["tags"].split(",") if tag.strip()],
        "language": values["language"] or None,
        "venue": schemas.Venue(name=values["venue_name"], address=values["venue_address"], lat=lat, lon=lon)
        if has_venue else None,
        "online_url": values["online_url"] or None, "payment": values["payment"], "price_cents": price_cents,
        "currency": currency, "capacity": number("capacity"),
        "max_seats_per_booking": number("max_seats_per_booking"),
        "waitlist": schemas.Waitlist(enabled=values["waitlist_enabled"], mode=values["waitlist_mode"],
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


async def _workshop_form(runtime: Any, viewer: Viewer, values: dict[str, Any], errors: dict[str, str],
                         workshop: schemas.Workshop | None = None) -> Response:
    communities = [] if workshop is not None else [
        (c.slug, c.name) for c in (await accounts_service.list_communities(COMMUNITIES_SHOWN, 0)).items]
    return render(runtime.settings, viewer, "workshops/workshop_form.html", status=400 if errors else 200,
                  values=values, errors=in_order(errors, WORKSHOP_FIELDS), workshop=workshop,
                  communities=communities, languages=LANGUAGE_NAMES, payments=PAYMENTS,
                  waitlist_modes=WAITLIST_MODES)


@get("/workshops/new", include_in_schema=False)
async def new_workshop_form(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    user = user_or_login(request, runtime, maybe_user)
    if isinstance(user, Response):
        return user
    viewer = page_viewer(request, runtime, user)
    communities = await accounts_service.list_communities(2, 0)
    chosen = str(request.query_params.get("community") or "")[:64]
    if not chosen and communities.total == 1:
        chosen = communities.items[0].slug
    return await _workshop_form(runtime, viewer, new_workshop_values(chosen, viewer.language), {})


@post("/workshops/new", include_in_schema=False)
async def create_workshop(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """The API's create body from the form, then `service.create_workshop`: a draft."""
    user = user_or_login(request, runtime, maybe_user, "/workshops/new")
    if isinstance(user, Response):
        return user
    values = _typed_values(await form_of(request))
    body, errors = _body_from(values)
    if not errors:
        try:
            created = await service.create_workshop(runtime, user, schemas.WorkshopCreate(**body))
        except (ValidationFailed, PaymentsNotConfigured) as exc:
            errors = workshop_errors(exc)
        else:
            return see_other(f"/workshops/{created.id}", runtime.settings,
                             flash=N_("Your draft is saved. Add its sessions, then submit it for review."))
    return await _workshop_form(runtime, page_viewer(request, runtime, user), values, errors)


@get("/workshops/{workshop_id:str}/edit", include_in_schema=False)
async def edit_workshop_form(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                             maybe_user: MaybeUserDep) -> Response:
    user = user_or_login(request, runtime, maybe_user)
    if isinstance(user, Response):
        return user
    workshop = await _managed_workshop(runtime, workshop_id, user)
    return await _workshop_form(runtime, page_viewer(request, runtime, user), workshop_values(workshop), {},
                                workshop)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: only what the host changed (the community is not editable)."""
    return {name: value for name, value in after.items() if name != "community" and before.get(name) != value}


@post("/workshops/{workshop_id:str}/edit", include_in_schema=False)
async def update_workshop(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                          maybe_user: MaybeUserDep) -> Response:
    """The fields the host changed, sent to `service.update_workshop` as the API's PATCH."""
    user = user_or_login(request, runtime, maybe_user, f"/workshops/{workshop_id}/edit")
    if isinstance(user, Response):
        return user
    workshop = await _managed_workshop(runtime, workshop_id, user)
    values = {**_typed_values(await form_of(request)), "community": workshop.community}
    body, errors = _body_from(values)
    if not errors:
        before, _ = _body_from(workshop_values(workshop))
        changes = _changes(before, body)
        if not changes:
            return see_other(f"/workshops/{workshop.id}", runtime.settings, flash=N_("Nothing was changed."))
        try:
            updated = await service.update_workshop(runtime, user, workshop.id, schemas.WorkshopUpdate(**changes))
        except (ValidationFailed, PaymentsNotConfigured) as exc:
            errors = workshop_errors(exc)
        except InvalidState:
            return see_other(f"/workshops/{workshop.id}", runtime.settings,
                             flash=N_("This workshop can no longer be changed."))
        else:
            resubmitted = workshop.status == WorkshopStatus.PUBLISHED and updated.status == WorkshopStatus.SUBMITTED
            return see_other(f"/workshops/{workshop.id}", runtime.settings, flash=N_(
                "Saved. The workshop is hidden until an organizer approves the changes.") if resubmitted
                else N_("Your changes are saved."))
    return await _workshop_form(runtime, page_viewer(request, runtime, user), values, errors, workshop)


@post("/workshops/{workshop_id:str}/submit", include_in_schema=False)
async def submit_workshop(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                          maybe_user: MaybeUserDep) -> Response:
    user = user_or_login(request, runtime, maybe_user, "/host")
    if isinstance(user, Response):
        return user
    try:
        done = await service.submit_workshop(runtime, user, path_id(workshop_id))
    except InvalidState:
        return see_other("/host", runtime.settings, flash=N_("Only a draft or a rejected workshop can be submitted."))
    return see_other(f"/workshops/{done.id}", runtime.settings, flash=N_(
        "Submitted: an organizer will review it.") if done.status == WorkshopStatus.SUBMITTED
        else N_("Published: neighbours can book it now."))


# -------------------------------------------------------------------------------- sessions form

SESSION_FIELDS = ("date", "time", "duration", "timezone", "capacity", "repeat", "interval", "weekdays",
                  "count", "until")
WEEKDAYS = (("MO", N_("Monday")), ("TU", N_("Tuesday")), ("WE", N_("Wednesday")), ("TH", N_("Thursday")),
            ("FR", N_("Friday")), ("SA", N_("Saturday")), ("SU", N_("Sunday")))
REPEATS = {"none": N_("Once"), "weekly": N_("Every week or every few weeks"),
           "monthly": N_("Every month, on the same day of the month")}
DURATION_MAX_MINUTES = int(rules.SESSION_MAX_DURATION.total_seconds() // 60)
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
        field, message = item["field"], str(item.get("message", ""))
        if field == "starts_at":
            errors["date"] = PAST_START if "future" in message else FAR_START if "years" in message \
                else SESSION_MESSAGES["date"]
        elif field == "ends_at":
            errors["duration"] = SESSION_MESSAGES["duration"]
        elif field in ("timezone", "capacity"):
            errors[field] = SESSION_MESSAGES[field]
        elif field == "rrule":
            end = "until" if values.get("end") == "until" else "count"
            if "INTERVAL" in message:
                errors["interval"] = SESSION_MESSAGES["interval"]
            elif f"at most {rules.MAX_OCCURRENCES} sessions" in message or "COUNT is" in message:
                errors[end] = TOO_MANY
            elif "10 years" in message:
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


def _session_form(runtime: Any, viewer: Viewer, workshop: schemas.Workshop, values: dict[str, Any],
                  errors: dict[str, str]) -> Response:
    return render(runtime.settings, viewer, "workshops/session_form.html", status=400 if errors else 200,
                  workshop=workshop, values=values, errors=in_order(errors, SESSION_FIELDS),
                  weekdays=WEEKDAYS, repeats=REPEATS, max_sessions=rules.MAX_OCCURRENCES)


@get("/workshops/{workshop_id:str}/sessions/new", include_in_schema=False)
async def new_sessions_form(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                            maybe_user: MaybeUserDep) -> Response:
    user = user_or_login(request, runtime, maybe_user)
    if isinstance(user, Response):
        return user
    workshop = await _managed_workshop(runtime, workshop_id, user)
    return _session_form(runtime, page_viewer(request, runtime, user), workshop,
                         new_session_values(user.timezone), {})


@post("/workshops/{workshop_id:str}/sessions/new", include_in_schema=False)
async def add_sessions(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                       maybe_user: MaybeUserDep) -> Response:
    """One session, or a repeat as an RRULE: the API's `service.add_sessions` either way."""
    user = user_or_login(request, runtime, maybe_user, f"/workshops/{workshop_id}/sessions/new")
    if isinstance(user, Response):
        return user
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
            created = await service.add_sessions(runtime, user, workshop.id, schemas.SessionCreate(
                starts_at=times[0], ends_at=times[1], timezone=values["timezone"], capacity=capacity, rrule=rrule))
        except ValidationFailed as exc:
            errors = session_errors(exc, values)
        except InvalidState:
            return see_other(f"/workshops/{workshop.id}", runtime.settings,
                             flash=N_("This workshop can no longer be changed."))
        else:
            return see_other(f"/workshops/{workshop.id}", runtime.settings, flash=N_(
                "The session is added.") if created.total == 1 else N_("The sessions are added."))
    return _session_form(runtime, page_viewer(request, runtime, user), workshop, values, errors)


# ----------------------------------------------------------------------------------- moderation

@get("/organize/moderation", include_in_schema=False)
async def moderation_queue(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """Workshops waiting for review in the communities the user organizes (admins: all)."""
    user = user_or_login(request, runtime, maybe_user)
    if isinstance(user, Response):
        return user
    queue = await service.moderation_queue(runtime, user)
    viewer = page_viewer(request, runtime, user)
    return render(runtime.settings, viewer, "workshops/moderation.html", workshops=queue,
                  submitted=[when_for(w.updated_at, w.updated_at, viewer.language, user.timezone)[0]
                             for w in queue])


@post("/workshops/{workshop_id:str}/approve", include_in_schema=False)
async def approve_workshop(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                           maybe_user: MaybeUserDep) -> Response:
    user = user_or_login(request, runtime, maybe_user, "/organize/moderation")
    if isinstance(user, Response):
        return user
    try:
        await service.approve_workshop(runtime, user, path_id(workshop_id))
    except InvalidState:
        return see_other("/organize/moderation", runtime.settings, flash=NOT_WAITING)
    return see_other("/organize/moderation", runtime.settings, flash=N_("Approved: the workshop is published."))


NOT_WAITING = N_("This workshop is no longer waiting for review.")
REASON_MESSAGE = N_("Tell the host why, in at most 1,000 characters.")


async def _reject_form(runtime: Any, viewer: Viewer, workshop: schemas.Workshop, reason: str,
                       errors: dict[str, str]) -> Response:
    return render(runtime.settings, viewer, "workshops/reject.html", status=400 if errors else 200,
                  workshop=workshop, reason=reason, errors=errors)


async def _moderated_workshop(runtime: Any, workshop_id: str, user: CurrentUser) -> schemas.Workshop:
    workshop = await service.workshop_detail(runtime, path_id(workshop_id), user)
    if not await service.can_moderate(user, await service.get_workshop(workshop.id)):
        raise Forbidden("Only the community's organizers may reject its workshops.")
    return workshop


@get("/workshops/{workshop_id:str}/reject", include_in_schema=False)
async def reject_form(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                      maybe_user: MaybeUserDep) -> Response:
    user = user_or_login(request, runtime, maybe_user)
    if isinstance(user, Response):
        return user
    workshop = await _moderated_workshop(runtime, workshop_id, user)
    return await _reject_form(runtime, page_viewer(request, runtime, user), workshop, "", {})


@post("/workshops/{workshop_id:str}/reject", include_in_schema=False)
async def reject_workshop(workshop_id: FromPath[str], request: Request, runtime: RuntimeDep,
                          maybe_user: MaybeUserDep) -> Response:
    """`service.reject_workshop` with the reason typed; the host is sent it."""
    user = user_or_login(request, runtime, maybe_user, f"/workshops/{workshop_id}/reject")
    if isinstance(user, Response):
        return user
    workshop = await _moderated_workshop(runtime, workshop_id, user)
    reason = text_of(await form_of(request), "reason", 5000)
    try:
        await service.reject_workshop(runtime, user, workshop.id, reason)
    except ValidationFailed:
        return await _reject_form(runtime, page_viewer(request, runtime, user), workshop, reason,
                                  {"reason": REASON_MESSAGE})
    except InvalidState:
        return see_other("/organize/moderation", runtime.settings, flash=NOT_WAITING)
    return see_other("/organize/moderation", runtime.settings, flash=N_("Rejected: the host is sent your reason."))


# /workshops/new and the other fixed paths before /workshops/{id}, which would also match them
ROUTES = [home, new_workshop_form, create_workshop, workshop_page, host_page, host_dashboard,
          edit_workshop_form, update_workshop, submit_workshop, new_sessions_form, add_sessions,
          moderation_queue, approve_workshop, reject_form, reject_workshop]
PAGE_ROUTES = ROUTES
