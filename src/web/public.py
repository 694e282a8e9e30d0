"""The public pages: the home page `/` (upcoming workshops of a community, with filters and
pages, or the list of communities), a workshop's page `GET /workshops/{id}` (the page emails and
feeds link to; its Markdown description rendered, then sanitised) and a host's profile
`GET /hosts/{id}`. The stylesheet (`/static/alveole.css`) is `kit.stylesheet`.

Thin handlers over `workshops.service` (the same listing and detail functions as the JSON API),
rendered from `web/templates/public/`. Unknown ids and workshops the visitor may not see raise
NotFound: a browser gets the 404 page, an API client the problem+json.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from accounts import service as accounts_service
from kernel.errors import NotFound, ValidationFailed
from kernel.http import RuntimeDep
from web.kit import (
    N_,
    MaybeUserDep,
    average_text,
    community_cookie,
    moment,
    money,
    page_number,
    page_viewer,
    path_id,
    query_string,
    remembered_community,
    render,
    session_when,
    zone_of,
)
from markupsafe import Markup

from booking import rules as booking_rules
from booking import service as booking_service
from workshops import rules as workshops_rules
from workshops import schemas as workshops_schemas
from workshops import service as workshops_service
from workshops.enums import Payment, SessionStatus, WorkshopStatus

UPCOMING_SHOWN = 100
PAGE_SIZE = 10
COMMUNITIES_SHOWN = 100
FILTERS = ("community", "q", "category", "from", "to", "payment", "within")
FOLDED = ("category", "from", "to", "payment", "within")  # under "Filter", folded until one is used
DISTANCES_KM = ("1", "2", "5", "10", "25")
PAYMENTS = {"free": N_("Free"), "on_site": N_("Paid on site"), "stripe": N_("Paid online")}
FILTER_MESSAGES = {
    "from": N_("Enter the first day as a date, like 2026-12-31."),
    "to": N_("Enter a last day that is a date, on or after the first day."),
    "q": N_("Search for at most 200 characters."),
    "category": N_("Enter a shorter category."),
}
CHECK_FILTER = N_("Check this filter.")
STATUS_NAMES = {
    WorkshopStatus.draft: N_("Draft"), WorkshopStatus.submitted: N_("Submitted"),
    WorkshopStatus.rejected: N_("Rejected"), WorkshopStatus.published: N_("Published"),
    WorkshopStatus.cancelled: N_("Cancelled"), WorkshopStatus.archived: N_("Archived"),
}


# ------------------------------------------------------------------------------- what is shown

def price_text(workshop: workshops_schemas.Workshop, language: str) -> tuple[str, str | None]:
    """(a msgid, the formatted price or None): 'Free', or the price and how it is paid."""
    if workshop.payment == Payment.free:
        return N_("Free"), None
    price = money(workshop.price_cents, workshop.currency, language)
    if workshop.payment == Payment.on_site:
        return N_("%(price)s, paid on site"), price
    return N_("%(price)s, paid online"), price


def _upcoming(workshop: workshops_schemas.Workshop, now: dt.datetime) -> list[workshops_schemas.Session]:
    return [s for s in workshop.sessions if s.status == SessionStatus.scheduled and s.starts_at > now]





def rating_text(rating: workshops_schemas.Rating, language: str) -> tuple[str, dict[str, Any]]:
    """(a msgid, its values): the average out of 5, or that there are too few ratings."""
    if rating.average is None:
        return N_("Not rated yet"), {}
    return N_("Rated %(average)s out of 5 (%(count)s ratings)"), {
        "average": average_text(rating.average, language), "count": rating.count}


def cards(workshops: list[workshops_schemas.WorkshopSummary], language: str) -> list[dict[str, Any]]:
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
    workshop = await workshops_service.workshop_detail(runtime, path_id(workshop_id), maybe_user)
    viewer = page_viewer(request, maybe_user)
    language = viewer.language
    upcoming = _upcoming(workshop, runtime.clock.now())
    shown = upcoming[:UPCOMING_SHOWN]
    price_msgid, price = price_text(workshop, language)
    # the viewer's own bookings and waitlist places show instead of Book (one query)
    places = await booking_service.places_in_sessions(maybe_user, [s.id for s in shown]) \
        if maybe_user is not None and shown else {}
    zone = zone_of(maybe_user.timezone) if maybe_user is not None else None
    # organizers decide here too: a submitted workshop, or a pending revision (which only the
    # host and the moderators are shown); one more query, only when something waits
    waits = workshop.status == WorkshopStatus.submitted or workshop.pending_revision is not None
    moderates = waits and maybe_user is not None and (
        maybe_user.is_admin or workshop.community in await accounts_service.organizer_slugs(maybe_user.id))
    return render(
        viewer, "public/workshop.html", workshop=workshop, price_msgid=price_msgid, moderates=moderates,
        price=price, sessions=[(s, *session_when(s, language)) for s in shown], places=places,
        offer_deadlines={p.session_id: moment(p.offer_expires_at, zone, language)
                         for p in places.values() if p.offer_expires_at is not None and zone is not None},
        more_sessions=max(0, len(upcoming) - UPCOMING_SHOWN), statuses=WorkshopStatus, status_names=STATUS_NAMES,
        rating=rating_text(workshop.rating, language), description=Markup(await workshops_service.description_html(workshop.id)),
        manages=maybe_user is not None and maybe_user.id == workshop.host.id,
        # booked now, these could only be cancelled late: the form says so before booking
        late_ids={s.id for s in upcoming if booking_rules.is_late_cancellation(
            s.starts_at, workshop.cancellation_deadline_hours, runtime.clock.now())},
    )


@get("/hosts/{host_id:str}", include_in_schema=False)
async def host_page(host_id: FromPath[str], request: Request, runtime: RuntimeDep,
                    maybe_user: MaybeUserDep) -> Response:
    """A host's public profile: bio, skills, rating and published workshops (404 for anyone else)."""
    host = await workshops_service.host_profile(runtime, path_id(host_id))
    viewer = page_viewer(request, maybe_user)
    return render(viewer, "public/host.html", host=host,
                  rating=rating_text(host.rating, viewer.language), cards=cards(host.workshops, viewer.language))


@get("/", include_in_schema=False)
async def home(request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """The upcoming workshops of the community (the only one, or the one picked), filtered and
    paged by the listing of the API; several communities and none picked: the list of them."""
    viewer = page_viewer(request, maybe_user)
    language = viewer.language
    params = request.query_params
    filters = {name: str(params.get(name) or "").strip()[:300] for name in FILTERS}
    number = page_number(params.get("page"))
    community = None
    remembered = remembered_community(request)
    if filters["community"]:
        community = await accounts_service.find_community_by_slug(filters["community"])
        if community is None:
            raise NotFound("No such community.")
        if community.slug != remembered:  # remembered for the next "Workshops" click
            viewer.cookies.append(community_cookie(community.slug, runtime.settings))
    elif remembered and params.get("choose") != "1":
        community = await accounts_service.find_community_by_slug(remembered)
    if community is None:
        communities = await accounts_service.list_communities(COMMUNITIES_SHOWN, 0)
        if communities.total != 1:
            return render(viewer, "public/communities.html", communities=communities.items,
                          more=communities.total > len(communities.items))
        community = communities.items[0]
        several = False
    else:
        several = await accounts_service.count_communities() > 1
    near = f"{community.lat},{community.lon}" if community.lat is not None and community.lon is not None else None
    within = filters["within"] if near and filters["within"] in DISTANCES_KM else ""
    payment = filters["payment"] if filters["payment"] in PAYMENTS else ""
    errors: dict[str, str] = {}
    listing = workshops_schemas.WorkshopList(items=[], total=0)
    try:
        query = await workshops_service.listing_query(
            community=community.slug, category=filters["category"] or None, q=filters["q"] or None,
            starts_from=filters["from"] or None, starts_to=filters["to"] or None,
            near=near if within else None, radius_km=within or None, payment=payment or None)
        listing = await workshops_service.list_workshops(runtime, query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    except ValidationFailed as exc:
        for item in exc.extra.get("errors", []):
            errors[item["field"]] = FILTER_MESSAGES.get(item["field"], CHECK_FILTER)
        errors = errors or {"q": CHECK_FILTER}
    kept = {**filters, "within": within, "payment": payment}
    pages = max(1, math.ceil(listing.total / PAGE_SIZE))
    past_end = listing.total > 0 and number > pages  # an old link, or a page number typed by hand
    return render(
        viewer, "public/home.html", status=400 if errors else 200, community=community,
        filters=kept, errors=errors, cards=cards(listing.items, language), total=listing.total,
        page=number, pages=pages, payments=PAYMENTS, categories=workshops_rules.CATEGORY_KEYS, distances=DISTANCES_KM if near else (),
        previous_url="/" + query_string(kept, page=number - 1 if number > 2 else None) if number > 1 else None,
        next_url="/" + query_string(kept, page=number + 1) if number < pages else None,
        past_end=past_end, last_url="/" + query_string(kept, page=pages if pages > 1 else None),
        filtered=any(kept[name] for name in FILTERS if name != "community"), several=several,
        folded_count=sum(1 for name in FOLDED if kept[name]),
        unfolded=any(kept[name] or name in errors for name in FOLDED),
    )





ROUTES = [home, workshop_page, host_page]
