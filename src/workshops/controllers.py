"""JSON API handlers of this package: thin — decode, call one service function, encode."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from accounts.auth import CurrentUser
from kernel.caching import (
    NOT_MODIFIED,
    PRIVATE,
    PUBLIC_FEED,
    PUBLIC_LISTING,
    rendered_feeds,
    validated,
)
from kernel.http import CALENDAR, MAX_ID, ProblemResponses, RuntimeDep
from workshops import rules, schemas, service

UserDep = NamedDependency[CurrentUser]
MaybeUserDep = NamedDependency[CurrentUser | None]

TAGS = ["workshops"]
JSON = "application/json"
_PROBLEMS = {
    400: "validation-error: a field or parameter is invalid (named in `errors`)",
    401: "not-authenticated",
    403: "forbidden: you may see the workshop but not do this",
    404: "not-found: no such workshop, or one you may not see (drafts, submitted and rejected "
         "workshops exist only for their host, their community's organizers and admins)",
    409: "invalid-state: not allowed in the workshop's current status",
}
PAYMENTS_409 = "payments-not-configured: `stripe` on an instance without Stripe keys"


problems = ProblemResponses(_PROBLEMS)


@post("/api/v1/workshops", tags=TAGS, summary="Propose a workshop (the caller becomes its host)",
      description="Creates a draft. A venue or an online_url is required; free workshops cost 0, "
                  "on_site and stripe ones more; `stripe` needs payments configured (else 409 "
                  "payments-not-configured). An unknown community is a 400 naming `community`.",
      responses=problems(400, 401, 409, conflict=PAYMENTS_409))
async def create_workshop(data: JSONBody[schemas.WorkshopCreate], runtime: RuntimeDep, user: UserDep) -> schemas.Workshop:
    return await service.create_workshop(runtime, user, data)


@get("/api/v1/workshops", tags=TAGS, summary="List published workshops",
     description="Soonest next session first, or nearest first with `near`. Dates and naive date-times "
                 "in `from`/`to` are read in the filtered community's time zone (UTC without "
                 "`community`); a date in `to` includes that day. A workshop matches `from`/`to` when "
                 "one of its scheduled sessions starts in the range.",
     responses={**problems(400), **NOT_MODIFIED})
async def list_workshops(
    request: Request,
    runtime: RuntimeDep,
    community: Annotated[str | None, QueryParameter(description="Community slug")] = None,
    host: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="Host user id")] = None,
    category: Annotated[str | None, QueryParameter(description="Exact category, any case")] = None,
    q: Annotated[str | None, QueryParameter(
        description="Text in the title, summary or description, or in one of the tags; "
                    "case and accents are ignored (\"velo\" finds \"Vélo\")")] = None,
    starts_from: Annotated[str | None, QueryParameter(name="from", description="Date or RFC 3339 date-time")] = None,
    starts_to: Annotated[str | None, QueryParameter(name="to", description="Date or RFC 3339 date-time")] = None,
    near: Annotated[str | None, QueryParameter(description="lat,lon e.g. 48.87,2.38")] = None,
    radius_km: Annotated[str | None, QueryParameter(description="Radius around `near`, default 10")] = None,
    payment: Annotated[str | None, QueryParameter(description="free, on_site or stripe")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
) -> Response[schemas.WorkshopList]:
    query = await service.listing_query(
        community=community, host=None if host is None else str(host), category=category, q=q,
        starts_from=starts_from, starts_to=starts_to, near=near, radius_km=radius_km, payment=payment,
    )
    answer = await service.listing_answer(runtime, query, limit=limit, offset=offset)
    sent, not_modified = validated(request, answer.etag, cache_control=PUBLIC_LISTING,
                                   last_modified=answer.last_modified)
    return not_modified or Response(content=answer.body, media_type=JSON, headers=sent)


@get("/api/v1/workshops/{workshop_id:int}", tags=TAGS, summary="A workshop with its sessions and rating",
     description="Drafts, submitted and rejected workshops are shown only to their host and the "
                 "organizers of their community (404 for anyone else).",
     responses={**problems(404), **NOT_MODIFIED})
async def get_workshop(request: Request, workshop_id: FromPath[int], runtime: RuntimeDep,
                       maybe_user: MaybeUserDep) -> Response[schemas.Workshop]:
    answer = await service.workshop_answer(runtime, workshop_id, maybe_user)
    # a public workshop reads the same for everyone; the others only for their host and moderators
    sent, not_modified = validated(request, answer.etag, cache_control=PUBLIC_LISTING if answer.public else PRIVATE,
                                   last_modified=answer.last_modified)
    return not_modified or Response(content=answer.body, media_type=JSON, headers=sent)


@patch("/api/v1/workshops/{workshop_id:int}", tags=TAGS, summary="Edit a workshop (host)",
       description="Partial update. A new venue or online URL bumps the sequence of every upcoming "
                   "session and sends participants an updated invite.\n\n"
                   "**Moderation.** In a community with `moderation: true`, a content change to a "
                   "*published* workshop (title, summary, description, category, tags, language, venue, "
                   "online_url, payment, price_cents or currency) is kept as a pending revision: the "
                   "published version stays public and bookable until an organizer approves the "
                   "revision (`approve` applies it; a new place then moves the sessions) or rejects it "
                   "(`reject`: the published version stays). Its organizers get the workshop_submitted "
                   "email once per revision. The workshop answers `pending_revision: {fields, "
                   "submitted_at, proposed}` to its host and organizers (null for others). The host "
                   "edits the revision as it stands: a second edit adds to it, one that brings every "
                   "field back withdraws it. Other changes (capacity, max_seats_per_booking, waitlist, "
                   "cancellation_deadline_hours) apply at once, as does any change in a community "
                   "without moderation or to a workshop that is not published.",
       responses=problems(400, 401, 403, 404, 409, conflict=f"invalid-state (a cancelled or archived "
                                                            f"workshop), or {PAYMENTS_409}"))
async def update_workshop(
    workshop_id: FromPath[int], data: JSONBody[schemas.WorkshopUpdate], runtime: RuntimeDep, user: UserDep,
) -> schemas.Workshop:
    return await service.update_workshop(runtime, user, workshop_id, data)


@post("/api/v1/workshops/{workshop_id:int}/submit", tags=TAGS, status_code=200,
      summary="Submit a draft for approval (host)",
      description="draft or rejected → submitted; straight to published where the community has no moderation.",
      responses=problems(401, 403, 404, 409))
async def submit_workshop(workshop_id: FromPath[int], runtime: RuntimeDep, user: UserDep) -> schemas.Workshop:
    return await service.submit_workshop(runtime, user, workshop_id)


@post("/api/v1/workshops/{workshop_id:int}/approve", tags=TAGS, status_code=200,
      summary="Approve a submitted workshop or a pending revision (organizer of its community)",
      description="submitted → published; a published workshop's pending revision is applied (it "
                  "stays published). Anything else (a published workshop with no pending revision "
                  "included) → 409 invalid-state. `?revision=` (the `pending_revision.submitted_at` "
                  "the moderator was shown) makes sure what is applied is what was read: if the host "
                  "changed the revision since, 409 invalid-state and nothing is applied.",
      responses=problems(400, 401, 403, 404, 409))
async def approve_workshop(workshop_id: FromPath[int], runtime: RuntimeDep, user: UserDep,
                           revision: FromQuery[str | None] = None) -> schemas.Workshop:
    return await service.approve_workshop(runtime, user, workshop_id, seen_revision=service.seen_revision(revision))


@post("/api/v1/workshops/{workshop_id:int}/reject", tags=TAGS, status_code=200,
      summary="Reject a submitted workshop or a pending revision, with a reason (organizer of its community)",
      description="submitted → rejected; a published workshop's pending revision is dropped and "
                  "the published version stays. The host is sent the reason. Anything else → 409 "
                  "invalid-state.",
      responses=problems(400, 401, 403, 404, 409))
async def reject_workshop(
    workshop_id: FromPath[int], data: JSONBody[schemas.Reject], runtime: RuntimeDep, user: UserDep,
) -> schemas.Workshop:
    return await service.reject_workshop(runtime, user, workshop_id, data.reason)


@post("/api/v1/workshops/{workshop_id:int}/sessions", tags=TAGS,
      summary="Schedule one session, or several from an RRULE (host)",
      description=f"Times are RFC 3339; a naive time is read in `timezone`. An `rrule` (RFC 5545) must "
                  f"end, with COUNT or UNTIL (not both), make at most {rules.MAX_OCCURRENCES} sessions "
                  f"and start every one of them at most 10 years ahead; FREQ is YEARLY to HOURLY, "
                  f"INTERVAL 1 to {rules.RRULE_INTERVAL_MAX}. A rule breaking one of these, or too "
                  f"costly to expand (over {rules.RRULE_MAX_CANDIDATES} candidate times), is refused "
                  f"with a 400 naming `rrule` and saying why; it is never cut.",
      responses=problems(400, 401, 403, 404, 409))
async def add_sessions(
    workshop_id: FromPath[int], data: JSONBody[schemas.SessionCreate], runtime: RuntimeDep, user: UserDep,
) -> schemas.SessionList:
    return await service.add_sessions(runtime, user, workshop_id, data)


@get("/api/v1/sessions/{session_id:int}", tags=TAGS, summary="A session with its seat counts",
     responses=problems(404))
async def get_session(session_id: FromPath[int], runtime: RuntimeDep,
                      maybe_user: MaybeUserDep) -> Response[schemas.Session]:
    return Response(content=await service.session_answer(runtime, session_id, maybe_user), media_type=JSON)


@get("/api/v1/hosts/{host_id:int}", tags=["hosts"], summary="A host's public profile",
     description="Only for users who host at least one published workshop; any other id is a 404.",
     responses=problems(404))
async def get_host(host_id: FromPath[int], runtime: RuntimeDep) -> schemas.HostProfile:
    return await service.host_profile(runtime, host_id)


@get("/api/v1/communities/{slug:str}/calendar.ics", tags=["communities"],
     summary="The community's public calendar (iCalendar, METHOD:PUBLISH)",
     description=f"The scheduled sessions of the community's published workshops that ended at most "
                 f"{service.FEED_HISTORY.days} days ago or start within the next {service.FEED_AHEAD.days} "
                 f"days, in start order, at most {service.FEED_MAX_EVENTS} of them. Each event names its "
                 f"host as ORGANIZER; VTIMEZONEs cover just the feed's dates.",
     media_type=CALENDAR, responses={**problems(404), **NOT_MODIFIED})
async def community_calendar(request: Request, slug: FromPath[str], runtime: RuntimeDep) -> Response[bytes]:
    # the validator is read first: a poll with a current ETag costs two small queries, no rendering
    community, version = await service.community_calendar_version(runtime, slug)
    headers, not_modified = validated(
        request, version.etag, cache_control=PUBLIC_FEED, last_modified=version.last_modified,
        headers={"Content-Disposition": f'inline; filename="{slug}.ics"'})
    if not_modified is not None:
        return not_modified
    # rendering 1000 events costs seconds: once per version, in a worker thread, then kept
    body = await rendered_feeds.get_or_build((runtime.worker_id, "community", community.id), version.etag,
                                             lambda: service.community_calendar(runtime, slug, community))
    return Response(content=body, media_type=CALENDAR, headers=headers)


ROUTES: list[Any] = [
    create_workshop, list_workshops, get_workshop, update_workshop, submit_workshop, approve_workshop,
    reject_workshop, add_sessions, get_session, get_host, community_calendar,
]
