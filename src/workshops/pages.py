"""Public HTML pages of workshops: the home page `/` (upcoming workshops of a community, with
filters and pages), a workshop's page `GET /workshops/{id}` (the page emails and feeds link
to) and a host's profile `GET /hosts/{id}`.

Thin handlers over `workshops.service` (the same listing and detail functions as the JSON API),
rendered with `kernel.pages` from `templates/workshops/` (extending `templates/base.html`;
autoescaped; no JavaScript), in the visitor's language (see `kernel.pages.chosen_language`).
Unknown ids and workshops the visitor may not see raise NotFound: a browser gets the 404 page,
an API client the problem+json.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, get_currency_precision
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from accounts import service as accounts_service
from accounts.auth import CurrentUser
from accounts.pages import page_viewer
from kernel.errors import NotFound, ValidationFailed
from kernel.http import RuntimeDep, is_id
from kernel.i18n import page_language  # noqa: F401 - other packages' pages import it from here
from kernel.pages import N_, query_string, render
from workshops import schemas, service
from workshops.enums import Payment, SessionStatus, WorkshopStatus

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
    start, end = session.starts_at, session.ends_at  # already in the session's zone
    first = f"{format_date(start, 'full', locale=language)}, {format_time(start, 'short', locale=language)}"
    if end.date() == start.date():
        last = format_time(end, "short", locale=language)
    else:
        last = f"{format_date(end, 'full', locale=language)}, {format_time(end, 'short', locale=language)}"
    return first, last


def _upcoming(workshop: schemas.Workshop, now: dt.datetime) -> list[schemas.Session]:
    return [s for s in workshop.sessions if s.status == SessionStatus.SCHEDULED and s.starts_at > now]


def _id_of(text: str) -> int:
    """A path's id as the API reads it (plain digits), else NotFound."""
    number = int(text) if re.fullmatch(r"\d{1,10}", text) else 0
    if not is_id(number):
        raise NotFound("No such page.")
    return number


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
    workshop = await service.workshop_detail(runtime, _id_of(workshop_id), maybe_user)
    viewer = page_viewer(request, runtime, maybe_user)
    language = viewer.language
    upcoming = _upcoming(workshop, runtime.clock.now())
    price_msgid, price = price_text(workshop, language)
    return render(
        runtime.settings, viewer, "workshops/workshop.html", workshop=workshop, price_msgid=price_msgid,
        price=price, sessions=[(s, *session_when(s, language)) for s in upcoming[:UPCOMING_SHOWN]],
        more_sessions=max(0, len(upcoming) - UPCOMING_SHOWN), statuses=WorkshopStatus,
        rating=rating_text(workshop.rating, language),
    )


@get("/hosts/{host_id:str}", include_in_schema=False)
async def host_page(host_id: FromPath[str], request: Request, runtime: RuntimeDep,
                    maybe_user: MaybeUserDep) -> Response:
    """A host's public profile: bio, skills, rating and published workshops (404 for anyone else)."""
    host = await service.host_profile(runtime, _id_of(host_id))
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


ROUTES = [home, workshop_page, host_page]
PAGE_ROUTES = ROUTES
