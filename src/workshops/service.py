"""Workshop and session use cases: propose, edit, moderate, schedule, list, show, host profiles,
the community calendar feed, over `workshops.repository` (this package's queries) and the
accounts service (communities, organizers, public profiles).

For other packages: `get_workshop` / `get_workshops` / `get_session` (records, any status),
`can_view` / `visible_workshop` (who may see a workshop; whoever may not must get 404, never a
403 or 409 that reveals it), `can_moderate`, `render_sessions` (sessions as the API shows them,
seats included) and `validate_session_times` (re-exported from rules).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from accounts import quotas
from accounts.auth import CurrentUser, is_organizer_of, organizer_community_ids
from accounts.service import (
    find_communities_by_id,
    find_community_by_id,
    find_community_by_slug,
    get_public_profile,
    require_verified,
)
from kernel.caching import ShortLived, etag_of, etag_of_version
from kernel.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from kernel.events import (
    DomainEvent,
    SessionUpdated,
    WorkshopApproved,
    WorkshopRejected,
    WorkshopSubmitted,
)
from kernel.ids import MAX_ID
from kernel.ports import BookingStats, Rating
from kernel.runtime import Runtime
from kernel.sql import PiccoloTx, as_datetime, write_transaction
from workshops import calendar, repository, rules, schemas, text
from workshops.enums import Payment, SessionStatus, WorkshopStatus
from workshops.errors import PaymentsNotConfigured, RevisionChanged
from workshops.rules import VenueFields, WorkshopFields, validate_session_times

__all__ = [
    "SessionRecord",
    "WorkshopRecord",
    "add_sessions",
    "approve_workshop",
    "can_moderate",
    "can_view",
    "community_calendar",
    "community_calendar_version",
    "create_workshop",
    "find_workshop_id",
    "get_session",
    "get_sessions",
    "get_workshop",
    "get_workshops",
    "host_profile",
    "hosted_workshops",
    "list_workshops",
    "listing_answer",
    "moderation_queue",
    "organizer_nav",
    "reject_workshop",
    "render_sessions",
    "revised",
    "session_answer",
    "session_detail",
    "submit_workshop",
    "update_workshop",
    "validate_session_times",
    "visible_workshop",
    "workshop_answer",
    "workshop_detail",
]

UTC = dt.timezone.utc
# the community feed: sessions ending at most 30 days ago and starting within a year, at most 1000
FEED_HISTORY = dt.timedelta(days=30)
FEED_AHEAD = dt.timedelta(days=365)
FEED_MAX_EVENTS = 1000
HOST_PROFILE_WORKSHOPS = 200
HOSTED_SHOWN = 200
QUEUE_SHOWN = 200


# ------------------------------------------------------------------------------------- records

@dataclass(frozen=True)
class WorkshopRecord:
    """A workshop row with its community slug and host name (what other packages need)."""

    id: int
    community_id: int
    community_slug: str
    host_id: int
    host_display_name: str
    title: str
    summary: str
    description: str
    category: str
    tags: tuple[str, ...]
    language: str
    venue: VenueFields | None
    online_url: str | None
    payment: str
    price_cents: int
    currency: str
    capacity: int
    max_seats_per_booking: int
    waitlist_enabled: bool
    waitlist_mode: str
    offer_ttl_minutes: int
    cancellation_deadline_hours: int
    status: str
    rejection_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None
    host_erased: bool = False
    recipe_id: int | None = None
    # a pending revision (moderated communities): the proposed content fields as JSON in the
    # API's shape, its description's HTML, and when it was last changed (None: none waits)
    revision: str = ""
    revision_description_html: str = ""
    revision_submitted_at: dt.datetime | None = None

    @property
    def is_public(self) -> bool:
        return self.status in rules.PUBLIC_STATUSES

    @property
    def location(self) -> str:
        """One line for invites and feeds: the venue, else the online URL."""
        if self.venue:
            return f"{self.venue.name}, {self.venue.address}"
        return self.online_url or ""

    def fields(self) -> WorkshopFields:
        return WorkshopFields(
            title=self.title, summary=self.summary, description=self.description, category=self.category,
            tags=self.tags, language=self.language, venue=self.venue, online_url=self.online_url,
            payment=self.payment, price_cents=self.price_cents, currency=self.currency,
            capacity=self.capacity, max_seats_per_booking=self.max_seats_per_booking,
            waitlist_enabled=self.waitlist_enabled, waitlist_mode=self.waitlist_mode,
            offer_ttl_minutes=self.offer_ttl_minutes,
            cancellation_deadline_hours=self.cancellation_deadline_hours,
        )


@dataclass(frozen=True)
class SessionRecord:
    """A session row; `starts_at`/`ends_at` are UTC instants, `timezone` is for display."""

    id: int
    workshop_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str
    capacity: int
    status: str
    sequence: int
    cancel_reason: str

    @property
    def zone(self) -> dt.tzinfo:
        return _zone_or_utc(self.timezone)

    @property
    def local_starts_at(self) -> dt.datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_ends_at(self) -> dt.datetime:
        return self.ends_at.astimezone(self.zone)


def _zone_or_utc(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - a zone since removed from tzdata: show UTC
        return UTC


def _load_json_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return tuple(str(v) for v in (value or []))


def _coordinate(value: float | None) -> float | None:
    # REAL columns on PostgreSQL give back float4 noise (48.8566 → 48.85660171508789)
    return None if value is None else round(float(value), 6)


def _workshop_record(row: dict[str, Any]) -> WorkshopRecord:
    venue = None
    if row["venue_name"] is not None:
        venue = VenueFields(name=row["venue_name"], address=row["venue_address"] or "",
                            lat=_coordinate(row["venue_lat"]), lon=_coordinate(row["venue_lon"]))
    return WorkshopRecord(
        id=row["id"], community_id=row["community"], community_slug=row["community_slug"],
        host_id=row["host"], host_display_name=row["host_display_name"], title=row["title"],
        summary=row["summary"], description=row["description"], category=row["category"],
        tags=_load_json_list(row["tags"]), language=row["language"], venue=venue,
        online_url=row["online_url"], payment=row["payment"], price_cents=row["price_cents"],
        currency=row["currency"], capacity=row["capacity"],
        max_seats_per_booking=row["max_seats_per_booking"], waitlist_enabled=row["waitlist_enabled"],
        waitlist_mode=row["waitlist_mode"], offer_ttl_minutes=row["offer_ttl_minutes"],
        cancellation_deadline_hours=row["cancellation_deadline_hours"], status=row["status"],
        rejection_reason=row["rejection_reason"], created_at=row["created_at"],
        updated_at=row["updated_at"], published_at=row["published_at"],
        host_erased=row["host_deleted_at"] is not None, recipe_id=row["recipe_id"], revision=row["revision"] or "",
        revision_description_html=row["revision_description_html"] or "",
        revision_submitted_at=as_datetime(row["revision_submitted_at"]) if row["revision_submitted_at"] else None,
    )


def _session_record(row: Any) -> SessionRecord:
    return SessionRecord(
        id=row["id"], workshop_id=row["workshop"], starts_at=as_datetime(row["starts_at"]),
        ends_at=as_datetime(row["ends_at"]),
        timezone=row["timezone"], capacity=row["capacity"], status=row["status"],
        sequence=row["sequence"], cancel_reason=row["cancel_reason"],
    )


def _valid_id(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


async def get_workshops(workshop_ids: Sequence[int]) -> dict[int, WorkshopRecord]:
    ids = sorted({i for i in workshop_ids if _valid_id(i)})
    if not ids:
        return {}
    return {row["id"]: _workshop_record(row) for row in await repository.workshop_rows(ids)}


async def get_workshop(workshop_id: int) -> WorkshopRecord:
    """The workshop, whatever its status (callers decide who may see it); NotFound if none."""
    found = await get_workshops([workshop_id])
    if workshop_id not in found:
        raise NotFound(f"No workshop {workshop_id}.")
    return found[workshop_id]


async def get_session(session_id: int) -> SessionRecord:
    """The session, whatever its status; NotFound if none."""
    row = await repository.session_row(session_id) if _valid_id(session_id) else None
    if row is None:
        raise NotFound(f"No session {session_id}.")
    return _session_record(row)


async def get_sessions(session_ids: Sequence[int]) -> dict[int, SessionRecord]:
    """These sessions by id, whatever their status (unknown ids left out), in one query."""
    ids = [i for i in session_ids if _valid_id(i)]
    return {s.id: s for s in _session_records(await repository.session_rows(ids))} if ids else {}


async def find_workshop_id(host_id: int, title: str) -> int | None:
    """The host's (oldest) workshop with this exact title, if any (idempotent loaders)."""
    return await repository.find_workshop_id(host_id, title)


def _session_records(rows: Sequence[dict[str, Any]]) -> list[SessionRecord]:
    return [_session_record(r) for r in rows]


# ------------------------------------------------------------------------------ who may do what

async def can_view(user: CurrentUser | None, workshop: WorkshopRecord) -> bool:
    """Published (and cancelled/archived) workshops are public; the others only for their host,
    the organizers of their community and admins (`rules.may_view`)."""
    if workshop.is_public:
        return True
    if user is None:
        return False
    return rules.may_view(workshop.status, is_host=user.id == workshop.host_id, is_admin=user.is_admin,
                          is_organizer=await is_organizer_of(user, workshop.community_id))


async def can_moderate(user: CurrentUser, workshop: WorkshopRecord) -> bool:
    """Organizers of the workshop's community, and admins."""
    return user.is_admin or await is_organizer_of(user, workshop.community_id)


async def visible_workshop(workshop_id: int, viewer: CurrentUser | None) -> WorkshopRecord:
    """The workshop if `viewer` may see it; NotFound (404 `not-found`) when it does not exist or
    they may not see it, the same answer, so a draft's existence does not leak."""
    workshop = await get_workshop(workshop_id)
    await _check_visible(viewer, workshop)
    return workshop


async def _check_visible(viewer: CurrentUser | None, workshop: WorkshopRecord) -> None:
    if not await can_view(viewer, workshop):
        raise NotFound(f"No workshop {workshop.id}.")  # not 403: drafts must not leak


def _require_host(user: CurrentUser, workshop: WorkshopRecord) -> None:
    if user.id != workshop.host_id:
        raise Forbidden("Only the workshop's host may do this.")


# ------------------------------------------------------------------------------------ rendering

def _stats(runtime: Runtime) -> BookingStats:
    return runtime.booking_stats


async def render_sessions(runtime: Runtime, sessions: Sequence[SessionRecord]) -> list[schemas.Session]:
    """Sessions as the API shows them, with seat counts from the booking side (one query)."""
    if not sessions:
        return []
    seats = await _stats(runtime).seats_by_session([s.id for s in sessions], runtime.clock.now())
    result = []
    for s in sessions:
        taken = seats.get(s.id)
        seats_taken = taken.seats_taken if taken else 0
        result.append(schemas.Session(
            id=s.id, workshop_id=s.workshop_id, starts_at=s.local_starts_at, ends_at=s.local_ends_at,
            timezone=s.timezone, capacity=s.capacity, seats_taken=seats_taken,
            seats_left=max(0, s.capacity - seats_taken),
            waitlist_length=taken.waitlist_length if taken else 0, status=s.status, sequence=s.sequence,
        ))
    return result


def _rating(rating: Rating | None) -> schemas.Rating:
    rating = rating or Rating()
    average = None if rating.average is None else round(float(rating.average), 2)
    return schemas.Rating(average=average, count=rating.count)


def _summary_fields(w: WorkshopRecord, rating: Rating | None, next_session: schemas.Session | None) -> dict:
    venue = None
    if w.venue:
        venue = schemas.Venue(name=w.venue.name, address=w.venue.address, lat=w.venue.lat, lon=w.venue.lon)
    return dict(
        id=w.id, community=w.community_slug, host=schemas.Person(id=w.host_id, display_name=w.host_display_name),
        title=w.title, summary=w.summary, description=w.description, category=w.category,
        tags=list(w.tags), language=w.language, venue=venue, online_url=w.online_url, payment=w.payment,
        price_cents=w.price_cents, currency=w.currency, capacity=w.capacity,
        max_seats_per_booking=w.max_seats_per_booking,
        waitlist=schemas.Waitlist(enabled=w.waitlist_enabled, mode=w.waitlist_mode,
                                  offer_ttl_minutes=w.offer_ttl_minutes),
        cancellation_deadline_hours=w.cancellation_deadline_hours, status=w.status,
        rejection_reason=w.rejection_reason if w.status == WorkshopStatus.rejected else None,
        created_at=w.created_at, updated_at=w.updated_at, published_at=w.published_at,
        next_session=next_session, rating=_rating(rating), recipe_id=w.recipe_id,
    )


async def _detail(runtime: Runtime, workshop: WorkshopRecord,
                  viewer: CurrentUser | None = None) -> schemas.Workshop:
    sessions = await render_sessions(runtime, _session_records(await repository.sessions_of(workshop.id)))
    now = runtime.clock.now()
    upcoming = [s for s in sessions if s.status == SessionStatus.scheduled and s.starts_at >= now]
    ratings = await _stats(runtime).rating_by_workshop([workshop.id])
    return schemas.Workshop(**_summary_fields(workshop, ratings.get(workshop.id),
                                              upcoming[0] if upcoming else None), sessions=sessions,
                            pending_revision=await _revision_for(viewer, workshop))


def _pending_update(workshop: WorkshopRecord) -> schemas.WorkshopUpdate | None:
    """The pending revision as the partial update it proposes; None when none waits."""
    if workshop.revision_submitted_at is None or not workshop.revision:
        return None
    return msgspec.json.decode(workshop.revision, type=schemas.WorkshopUpdate)


def _revision_of(workshop: WorkshopRecord) -> schemas.PendingRevision | None:
    update = _pending_update(workshop)
    if update is None or workshop.revision_submitted_at is None:
        return None
    proposed = msgspec.to_builtins(update)
    return schemas.PendingRevision(
        fields=[name for name in rules.CONTENT_FIELDS if name in proposed],
        submitted_at=workshop.revision_submitted_at, proposed=proposed)


async def _revision_for(viewer: CurrentUser | None, workshop: WorkshopRecord) -> schemas.PendingRevision | None:
    """The pending revision, for the workshop's host, its community's organizers and admins only."""
    if viewer is None or workshop.revision_submitted_at is None:
        return None
    if viewer.id == workshop.host_id or await can_moderate(viewer, workshop):
        return _revision_of(workshop)
    return None


def _api_value(fields: WorkshopFields, name: str) -> Any:
    """A content field of `fields` as the API shows it (and as a revision keeps it)."""
    match name:
        case "venue":
            venue = fields.venue
            return None if venue is None else {"name": venue.name.strip(), "address": venue.address.strip(),
                                               "lat": venue.lat, "lon": venue.lon}
        case "tags":
            return [t.strip() for t in fields.tags]
        case "currency":
            return rules.normalise_currency(fields.currency) or fields.currency
        case "title" | "summary" | "category":
            return getattr(fields, name).strip()
        case _:
            return getattr(fields, name)


def revised(workshop: schemas.Workshop) -> schemas.Workshop:
    """The workshop as its pending revision would make it (itself when none waits or it is not
    shown to this viewer): what the host's edit form starts from, the "new" side of a
    moderation card."""
    revision = workshop.pending_revision
    if revision is None:
        return workshop
    proposed = msgspec.convert(revision.proposed, schemas.WorkshopUpdate)
    changes = {name: getattr(proposed, name) for name in revision.fields
               if getattr(proposed, name) is not msgspec.UNSET}
    return msgspec.structs.replace(workshop, **changes)


def _next_session_record(row: Any) -> SessionRecord | None:
    if row["next_id"] is None:
        return None
    return SessionRecord(
        id=row["next_id"], workshop_id=row["id"], starts_at=as_datetime(row["next_starts_at"]),
        ends_at=as_datetime(row["next_ends_at"]), timezone=row["next_timezone"],
        capacity=row["next_capacity"], status=row["next_status"], sequence=row["next_sequence"],
        cancel_reason=row["next_cancel_reason"],
    )


async def _summaries(runtime: Runtime, workshop_ids: list[int]) -> list[schemas.WorkshopSummary]:
    """Workshops in the given order, each with its next session and rating: three queries
    whatever the page size (workshops with their next sessions, seats, ratings)."""
    ids = sorted({i for i in workshop_ids if _valid_id(i)})
    if not ids:
        return []
    rows = {row["id"]: row for row in await repository.workshop_rows_with_next_session(ids, runtime.clock.now())}
    return await _summaries_of_rows(runtime, [rows[i] for i in workshop_ids if i in rows])


async def _summaries_of_rows(runtime: Runtime, rows: Sequence[Any]) -> list[schemas.WorkshopSummary]:
    """Workshop rows with their next session's columns (`next_*`), in their order, as
    summaries: two more queries (seats, ratings)."""
    if not rows:
        return []
    workshops = [_workshop_record(row) for row in rows]
    upcoming = [s for s in map(_next_session_record, rows) if s is not None]
    next_sessions = {s.workshop_id: s for s in await render_sessions(runtime, upcoming)}
    ratings = await _stats(runtime).rating_by_workshop([w.id for w in workshops])
    return [schemas.WorkshopSummary(**_summary_fields(w, ratings.get(w.id), next_sessions.get(w.id)))
            for w in workshops]


# ------------------------------------------------------------------------------------- writing

async def _write_outbox(runtime: Runtime, events: Sequence[DomainEvent], now: dt.datetime) -> None:
    """The emails these events mean, written in the caller's transaction."""
    if events:
        await PiccoloTx(runtime.notifier).emit(events, now)


def _tags_json(tags: Sequence[str]) -> str:
    # keep accents readable in the stored text so `q` finds them (json.dumps would write \u00e9)
    return json.dumps([t.strip() for t in tags], ensure_ascii=False)


def _columns_of(fields: WorkshopFields) -> dict[str, Any]:
    """The stored form of what the host decides, by column name."""
    venue = fields.venue
    return {
        "title": fields.title.strip(), "summary": fields.summary.strip(),
        "description": fields.description, "category": fields.category.strip(),
        "tags": _tags_json(fields.tags), "language": fields.language,
        "search_text": text.search_text(fields.title.strip(), fields.summary.strip(), fields.description,
                                        [t.strip() for t in fields.tags]),
        "venue_name": venue.name.strip() if venue else None,
        "venue_address": venue.address.strip() if venue else None,
        "venue_lat": venue.lat if venue else None, "venue_lon": venue.lon if venue else None,
        "online_url": fields.online_url, "payment": fields.payment,
        "price_cents": fields.price_cents, "currency": rules.normalise_currency(fields.currency),
        "capacity": fields.capacity, "max_seats_per_booking": fields.max_seats_per_booking,
        "waitlist_enabled": fields.waitlist_enabled, "waitlist_mode": fields.waitlist_mode,
        "offer_ttl_minutes": fields.offer_ttl_minutes,
        "cancellation_deadline_hours": fields.cancellation_deadline_hours,
    }


def _venue(venue: schemas.Venue | None) -> VenueFields | None:
    if venue is None:
        return None
    return VenueFields(name=venue.name, address=venue.address, lat=venue.lat, lon=venue.lon)


def _check_payments(runtime: Runtime, payment: str) -> None:
    if payment == Payment.stripe and not runtime.settings.payments_configured:
        raise PaymentsNotConfigured("This instance takes no online payments: choose free or on_site.")


async def create_workshop(runtime: Runtime, user: CurrentUser, data: schemas.WorkshopCreate) -> schemas.Workshop:
    """A new draft workshop in a community; the user becomes its host (an unverified address
    → 403 `email-not-verified`)."""
    require_verified(user)
    community = await find_community_by_slug(data.community)
    language = data.language or (community.locale if community else "en")
    fields = WorkshopFields(
        title=data.title, summary=data.summary, description=data.description, category=data.category,
        tags=tuple(data.tags), language=language, venue=_venue(data.venue), online_url=data.online_url,
        payment=data.payment, price_cents=data.price_cents, currency=data.currency, capacity=data.capacity,
        max_seats_per_booking=data.max_seats_per_booking, waitlist_enabled=data.waitlist.enabled,
        waitlist_mode=data.waitlist.mode, offer_ttl_minutes=data.waitlist.offer_ttl_minutes,
        cancellation_deadline_hours=data.cancellation_deadline_hours,
    )
    problems = rules.check_workshop(fields)
    if community is None:
        problems.insert(0, rules.FieldProblem("community", f"no community with slug {data.community!r}"))
    rules.raise_problems(problems)
    _check_payments(runtime, fields.payment)
    now = runtime.clock.now()
    description_html = await text.rendered_description(fields.description)  # before the write lock
    async with write_transaction():
        await quotas.spend(PiccoloTx(), user_id=user.id, action=quotas.WORKSHOP_CREATED, now=now,
                           enabled=runtime.settings.rate_limits)
        workshop_id = await repository.insert_workshop({
            **_columns_of(fields), "description_html": description_html, "community": community.id,
            "host": user.id, "status": WorkshopStatus.draft, "created_at": now, "updated_at": now,
        })
    return await _detail(runtime, await get_workshop(workshop_id))


async def _locked_workshop(workshop_id: int) -> WorkshopRecord:
    """The workshop, read inside the caller's write transaction. SQLite's BEGIN IMMEDIATE already
    serialises writers; on PostgreSQL the row is locked so a read-check-write cannot interleave."""
    if _valid_id(workshop_id):
        await repository.lock_workshop(workshop_id)
    return await get_workshop(workshop_id)


def _merge(current: WorkshopFields, data: schemas.WorkshopUpdate) -> WorkshopFields:
    changes: dict[str, Any] = {}
    for name in ("title", "summary", "description", "category", "language", "online_url", "payment",
                 "price_cents", "currency", "capacity", "max_seats_per_booking",
                 "cancellation_deadline_hours"):
        value = getattr(data, name)
        if value is not msgspec.UNSET:
            changes[name] = value
    if data.tags is not msgspec.UNSET:
        changes["tags"] = tuple(data.tags)
    if data.venue is not msgspec.UNSET:
        changes["venue"] = _venue(data.venue)
    if data.waitlist is not msgspec.UNSET:
        changes.update(waitlist_enabled=data.waitlist.enabled, waitlist_mode=data.waitlist.mode,
                       offer_ttl_minutes=data.waitlist.offer_ttl_minutes)
    if changes.get("payment") == Payment.free and data.price_cents is msgspec.UNSET:
        changes["price_cents"] = 0  # switching to free needs no separate price change
    return replace(current, **changes)


async def update_workshop(
    runtime: Runtime, user: CurrentUser, workshop_id: int, data: schemas.WorkshopUpdate,
) -> schemas.Workshop:
    """Partial update by the host. A new place (venue or online URL) bumps the sequence of every
    upcoming scheduled session and tells their participants, in the same transaction. Where the
    community moderates, a content change to a published workshop is kept as a pending revision
    (`rules.keeps_revision`): the published version stays public and bookable, its organizers
    are asked (once per revision), and only their approval applies it (a new place included);
    changes that are not content (capacity, seats per booking, waitlist, deadline) apply at once.
    A published workshop is edited as its pending revision shows it: a second edit adds to the
    revision, and an edit that brings every content field back withdraws it."""
    # a new description is rendered before the write transaction (which it must not hold up)
    description_html = None if data.description is msgspec.UNSET else await text.rendered_description(
        data.description)
    async with write_transaction():
        workshop = await _locked_workshop(workshop_id)
        # read after the lock: every booking committed before it has created_at <= now, so the
        # "session updated" fan-out (bookings made by the event time) reaches all of them
        now = runtime.clock.now()
        await _check_visible(user, workshop)
        _require_host(user, workshop)
        rules.check_open_for_changes(workshop.status)
        published = workshop.fields()
        pending = _pending_update(workshop)
        current = _merge(published, pending) if pending is not None else published
        after = _merge(current, data)
        rules.raise_problems(rules.check_workshop(after))
        if data.payment is not msgspec.UNSET:
            _check_payments(runtime, after.payment)
        revise = False
        if workshop.status == WorkshopStatus.published:
            community = await find_community_by_id(workshop.community_id)
            revise = rules.keeps_revision(workshop.status, community.moderation if community else True)
        events: list[DomainEvent] = []
        no_revision = {"revision": "", "revision_description_html": "", "revision_submitted_at": None}
        if revise:
            proposed = rules.changed_content(published, after)
            applied = replace(after, **{name: getattr(published, name) for name in rules.CONTENT_FIELDS})
            values: dict[str, Any] = {**_columns_of(applied), "updated_at": now, **no_revision}
            if proposed:
                if "description" not in proposed:
                    revision_html = ""
                elif description_html is not None:
                    revision_html = description_html
                else:  # kept from the revision it came with
                    revision_html = workshop.revision_description_html
                values.update(revision=_revision_json(after, proposed), revision_description_html=revision_html,
                              # strictly later than the revision it replaces: the time a moderator
                              # was shown (`seen_revision`) names one version of the revision
                              revision_submitted_at=now if workshop.revision_submitted_at is None
                              else max(now, workshop.revision_submitted_at + dt.timedelta(microseconds=1)))
                if pending is None:  # organizers are asked once per revision, not per edit of it
                    await quotas.spend(PiccoloTx(), user_id=user.id, action=quotas.WORKSHOP_SUBMITTED, now=now,
                                       enabled=runtime.settings.rate_limits)
                    events.append(WorkshopSubmitted(at=now, workshop_id=workshop_id,
                                                    community_id=workshop.community_id, host_id=workshop.host_id))
            await repository.update_workshop(workshop_id, values)
        else:
            values = {**_columns_of(after), "updated_at": now}
            if description_html is not None:
                values["description_html"] = description_html
            elif pending is not None and pending.description is not msgspec.UNSET:
                values["description_html"] = workshop.revision_description_html
            if pending is not None:  # moderation turned off since: the edit applies over the revision
                values.update(no_revision)
            await repository.update_workshop(workshop_id, values)
            events += await _move_sessions(runtime, user, workshop_id, published, after, now)
        await _write_outbox(runtime, events, now)
    return await _detail(runtime, await get_workshop(workshop_id), user)


def _revision_json(fields: WorkshopFields, names: Sequence[str]) -> str:
    return msgspec.json.encode({name: _api_value(fields, name) for name in names}).decode()


async def _move_sessions(runtime: Runtime, user: CurrentUser | None, workshop_id: int, before: WorkshopFields,
                         after: WorkshopFields, now: dt.datetime) -> list[DomainEvent]:
    """A new place moves every upcoming session: sequences bumped, participants told (one change
    of the host's quota, however many sessions it moves)."""
    if not rules.place_changed((before.venue, before.online_url), (after.venue, after.online_url)):
        return []
    bumped = await repository.bump_upcoming_sessions(workshop_id, now)
    if bumped and user is not None:
        await quotas.spend(PiccoloTx(), user_id=user.id, action=quotas.SESSION_CHANGED, now=now,
                           enabled=runtime.settings.rate_limits)
    return [SessionUpdated(at=now, session_id=r["id"], sequence=r["sequence"])
            for r in sorted(bumped, key=lambda r: r["id"])]


async def _transition(workshop_id: int, from_status: str, values: dict[str, Any]) -> None:
    """Change the status only if it is still `from_status` (a concurrent change loses cleanly)."""
    if not await repository.change_status(workshop_id, from_status, values):
        raise InvalidState("The workshop changed meanwhile; reload it and try again.")


async def submit_workshop(runtime: Runtime, user: CurrentUser, workshop_id: int) -> schemas.Workshop:
    """draft|rejected → submitted (organizers are told), or → published without moderation."""
    now = runtime.clock.now()
    async with write_transaction():
        workshop = await _locked_workshop(workshop_id)
        await _check_visible(user, workshop)
        _require_host(user, workshop)
        _check_payments(runtime, workshop.payment)  # keys removed since it was created: not published
        if workshop.venue is None and not workshop.online_url:  # a draft copied from a recipe
            raise rules.invalid("venue", "a venue or an online_url is required before submitting")
        community = await find_community_by_id(workshop.community_id)
        target = rules.status_after_submit(workshop.status, community.moderation if community else True)
        values: dict[str, Any] = {"status": target, "updated_at": now}
        if target == WorkshopStatus.published:
            values["published_at"] = now
        await _transition(workshop_id, workshop.status, values)
        if target == WorkshopStatus.submitted:
            await quotas.spend(PiccoloTx(), user_id=user.id, action=quotas.WORKSHOP_SUBMITTED, now=now,
                               enabled=runtime.settings.rate_limits)
            await _write_outbox(runtime, [WorkshopSubmitted(
                at=now, workshop_id=workshop_id, community_id=workshop.community_id, host_id=workshop.host_id,
            )], now)
    return await _detail(runtime, await get_workshop(workshop_id), user)


def seen_revision(text: str | None) -> dt.datetime | None:
    """The `pending_revision.submitted_at` a moderator was shown (`?revision=`, a form's hidden
    field), or None when not given; anything but an RFC 3339 time with offset → 400."""
    if text is None or not text.strip():
        return None
    try:
        seen = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        seen = None
    if seen is None or seen.tzinfo is None:
        raise ValidationFailed("revision: the pending revision's submitted_at (RFC 3339 with offset)",
                               errors=[{"field": "revision", "message": "a time with its offset"}])
    return seen


async def approve_workshop(runtime: Runtime, user: CurrentUser, workshop_id: int,
                           seen_revision: dt.datetime | None = None) -> schemas.Workshop:
    """By an organizer of the workshop's community (or an admin): submitted → published, or a
    published workshop's pending revision applied (a new place then moves its upcoming sessions
    and tells their participants). Anything else → 409 `invalid-state`. With `seen_revision`,
    a revision the host changed since it was shown is not applied (409 `invalid-state`)."""
    now = runtime.clock.now()
    async with write_transaction():
        workshop = await _locked_workshop(workshop_id)
        await _check_visible(user, workshop)
        if not await can_moderate(user, workshop):
            raise Forbidden("Only the community's organizers may approve its workshops.")
        pending = _pending_update(workshop)
        rules.check_can_moderate(workshop.status, pending_revision=pending is not None)
        if (seen_revision is not None and pending is not None and workshop.revision_submitted_at is not None
                and seen_revision.timestamp() != workshop.revision_submitted_at.timestamp()):
            raise RevisionChanged("The host changed this revision since it was shown: look at it again.")
        events: list[DomainEvent] = [WorkshopApproved(at=now, workshop_id=workshop_id, host_id=workshop.host_id)]
        if workshop.status == WorkshopStatus.published and pending is not None:
            published = workshop.fields()
            after = _merge(published, pending)
            _check_payments(runtime, after.payment)
            values: dict[str, Any] = {**_columns_of(after), "updated_at": now, "revision": "",
                                      "revision_description_html": "", "revision_submitted_at": None}
            if pending.description is not msgspec.UNSET:
                values["description_html"] = workshop.revision_description_html
            await repository.update_workshop(workshop_id, values)
            events += await _move_sessions(runtime, None, workshop_id, published, after, now)
        else:
            _check_payments(runtime, workshop.payment)
            await _transition(workshop_id, WorkshopStatus.submitted, {
                "status": WorkshopStatus.published, "published_at": now, "updated_at": now,
                "rejection_reason": "",
            })
        await _write_outbox(runtime, events, now)
    return await _detail(runtime, await get_workshop(workshop_id), user)


async def reject_workshop(runtime: Runtime, user: CurrentUser, workshop_id: int, reason: str) -> schemas.Workshop:
    """submitted → rejected with a reason the host is sent (the host may edit and resubmit); or a
    published workshop's pending revision dropped, the published version kept, the host told why."""
    now = runtime.clock.now()
    async with write_transaction():
        workshop = await _locked_workshop(workshop_id)
        await _check_visible(user, workshop)
        if not await can_moderate(user, workshop):
            raise Forbidden("Only the community's organizers may reject its workshops.")
        reason = rules.check_reason(reason)
        pending = _pending_update(workshop)
        rules.check_can_moderate(workshop.status, pending_revision=pending is not None)
        if workshop.status == WorkshopStatus.published:
            await repository.update_workshop(workshop_id, {
                "revision": "", "revision_description_html": "", "revision_submitted_at": None, "updated_at": now})
        else:
            await _transition(workshop_id, WorkshopStatus.submitted, {
                "status": WorkshopStatus.rejected, "rejection_reason": reason, "updated_at": now,
            })
        await _write_outbox(runtime, [WorkshopRejected(at=now, workshop_id=workshop_id,
                                                       host_id=workshop.host_id, reason=reason)], now)
    return await _detail(runtime, await get_workshop(workshop_id), user)


async def add_sessions(
    runtime: Runtime, user: CurrentUser, workshop_id: int, data: schemas.SessionCreate,
) -> schemas.SessionList:
    """One session, or one per occurrence of an RRULE (at most 52), all in one transaction."""
    now = runtime.clock.now()
    workshop = await visible_workshop(workshop_id, user)
    _require_host(user, workshop)
    starts_at, ends_at = validate_session_times(data.starts_at, data.ends_at, data.timezone, now)
    occurrences = [(starts_at, ends_at)]
    if data.rrule is not None and data.rrule.strip():
        # bounded (candidates examined, 10-year horizon): a few ms to ~50 ms, fine on the loop
        occurrences = rules.expand_rrule(data.rrule, starts_at, ends_at, data.timezone, now=now)
    capacity = workshop.capacity if data.capacity is None else data.capacity
    if isinstance(capacity, bool) or not 1 <= capacity <= rules.CAPACITY_MAX:
        raise rules.invalid("capacity", f"must be an integer from 1 to {rules.CAPACITY_MAX}")
    async with write_transaction():
        # re-read inside the transaction: a workshop cancelled meanwhile takes no new sessions
        rules.check_open_for_changes((await _locked_workshop(workshop_id)).status)
        await quotas.spend(PiccoloTx(), user_id=user.id, action=quotas.SESSION_CREATED, now=now,
                           enabled=runtime.settings.rate_limits, count=len(occurrences))
        session_ids = await repository.insert_sessions(
            workshop_id, occurrences, timezone=data.timezone, capacity=capacity, now=now)
    created = _session_records(await repository.session_rows(session_ids))
    return schemas.SessionList(items=await render_sessions(runtime, created), total=len(created))


# ------------------------------------------------------------------------------------- reading

async def description_html(workshop_id: int) -> str:
    """The workshop's description as the safe HTML rendered when it was saved (`workshops.text`)."""
    return await repository.description_html(workshop_id) if _valid_id(workshop_id) else ""


async def workshop_detail(runtime: Runtime, workshop_id: int, viewer: CurrentUser | None) -> schemas.Workshop:
    return await _detail(runtime, await visible_workshop(workshop_id, viewer), viewer)


async def session_detail(runtime: Runtime, session_id: int, viewer: CurrentUser | None) -> schemas.Session:
    session, _ = await _session_detail(runtime, session_id, viewer)
    return session


async def _session_detail(runtime: Runtime, session_id: int,
                          viewer: CurrentUser | None) -> tuple[schemas.Session, bool]:
    """The session as the viewer may see it, and whether everyone may (its workshop is public)."""
    session = await get_session(session_id)
    workshop = await get_workshop(session.workshop_id)
    if not await can_view(viewer, workshop):
        raise NotFound(f"No session {session_id}.")
    return (await render_sessions(runtime, [session]))[0], workshop.is_public


@dataclass(frozen=True)
class PageAnswer:
    """A read's JSON body with its ETag and last change, and whether it is the same for everyone."""

    body: bytes
    etag: str
    last_modified: dt.datetime | None
    public: bool


# the workshop and session reads' public answers, kept as the listing's are (`ShortLived`): a
# draft's or another non-public answer is never kept (it depends on who asks)
_pages = ShortLived(1024)


async def workshop_answer(runtime: Runtime, workshop_id: int, viewer: CurrentUser | None) -> PageAnswer:
    """`workshop_detail` as JSON, from the kept public answers when one is current."""
    async def build() -> PageAnswer:
        workshop = await workshop_detail(runtime, workshop_id, viewer)
        body = _JSON.encode(workshop)
        # a pending revision is shown to its host and moderators only: such an answer is private
        return PageAnswer(body=body, etag=etag_of(body), last_modified=workshop.updated_at,
                          public=workshop.status in rules.PUBLIC_STATUSES and workshop.pending_revision is None)

    if viewer is not None:  # the host or a moderator may be shown a pending revision: never the kept answer
        return await build()
    return await _pages.get_or_build((runtime.worker_id, "workshop", workshop_id), runtime.clock.now(), build,
                                     keep=lambda answer: answer.public)


async def session_answer(runtime: Runtime, session_id: int, viewer: CurrentUser | None) -> bytes:
    """`session_detail` as JSON, from the kept public answers when one is current."""
    async def build() -> tuple[bytes, bool]:
        session, public = await _session_detail(runtime, session_id, viewer)
        return _JSON.encode(session), public

    body, _ = await _pages.get_or_build((runtime.worker_id, "session", session_id), runtime.clock.now(), build,
                                        keep=lambda answer: answer[1], viewer=viewer and viewer.id)
    return body


async def listing_query(
    *, community: str | None = None, host: str | None = None, category: str | None = None,
    q: str | None = None, starts_from: str | None = None, starts_to: str | None = None,
    near: str | None = None, radius_km: str | None = None, payment: str | None = None,
) -> rules.ListingQuery:
    """Query-string filters → ListingQuery; dates are read in the filtered community's zone."""
    tz: dt.tzinfo = UTC
    if community and (starts_from or starts_to):
        found = await find_community_by_slug(community.strip())
        if found is not None:
            tz = _zone_or_utc(found.timezone)
    return rules.parse_listing_query(
        community=community, host=host, category=category, q=q, starts_from=starts_from,
        starts_to=starts_to, near=near, radius_km=radius_km, payment=payment, tz=tz,
    )


@dataclass(frozen=True)
class ListingAnswer:
    """A page of the listing with its JSON body and that body's ETag, built once."""

    page: schemas.WorkshopList
    body: bytes
    etag: str
    last_modified: dt.datetime | None


# the listing's answers, kept for the rest of the clock's second or until this process answers a
# write (see `ShortLived`): under load a page is read and encoded once a second, not per request
_listings = ShortLived()


async def listing_answer(
    runtime: Runtime, query: rules.ListingQuery, *, limit: int = 50, offset: int = 0,
) -> ListingAnswer:
    """`list_workshops`'s page with its JSON and ETag, from the short-lived answers when one is
    current (the API's listing and the home page share them)."""
    async def build() -> ListingAnswer:
        page = await _list_workshops(runtime, query, limit=limit, offset=offset)
        body = _JSON.encode(page)
        return ListingAnswer(page=page, body=body, etag=etag_of(body),
                             last_modified=max((w.updated_at for w in page.items), default=None))

    return await _listings.get_or_build((runtime.worker_id, query, limit, offset), runtime.clock.now(), build)


_JSON = msgspec.json.Encoder()


async def list_workshops(
    runtime: Runtime, query: rules.ListingQuery, *, limit: int = 50, offset: int = 0,
) -> schemas.WorkshopList:
    """`_list_workshops`, from the short-lived answers when one is current."""
    return (await listing_answer(runtime, query, limit=limit, offset=offset)).page


async def _list_workshops(
    runtime: Runtime, query: rules.ListingQuery, *, limit: int = 50, offset: int = 0,
) -> schemas.WorkshopList:
    """Published workshops matching the filters, soonest next session first (or nearest first
    with `near`). Counting and paging happen in the database; with `near`, the bounding-box
    candidates are read (ids and positions) and the exact distance is applied here."""
    community_id = None
    if query.community:
        community = await find_community_by_slug(query.community)
        if community is None:
            return schemas.WorkshopList(items=[], total=0)
        community_id = community.id
    if query.near:
        near = query.near
        rows = await repository.listing_positions(query, community_id)
        distances = sorted(
            (d, r["id"]) for r in rows
            if (d := rules.haversine_km(near.lat, near.lon, r["lat"], r["lon"])) <= near.radius_km
        )
        total = len(distances)
        page = [i for _, i in distances[offset:offset + limit]]
        return schemas.WorkshopList(items=await _summaries(runtime, page), total=total)
    rows, total = await repository.listing_page(query, community_id, runtime.clock.now(), limit, offset)
    return schemas.WorkshopList(items=await _summaries_of_rows(runtime, rows), total=total)


async def hosted_workshops(runtime: Runtime, user: CurrentUser,
                           limit: int = HOSTED_SHOWN) -> list[schemas.WorkshopSummary]:
    """The user's own workshops, every status, the most recently changed first (their host page)."""
    return await _summaries(runtime, await repository.workshop_ids_of_host(user.id, limit))


async def moderation_queue(runtime: Runtime, user: CurrentUser,
                           limit: int = QUEUE_SHOWN) -> list[schemas.WaitingWorkshop]:
    """What waits for moderation in the communities the user organizes (every community for an
    admin): submitted workshops and published ones' pending revisions, the longest waiting
    first, each with its upcoming sessions and community; Forbidden for anyone who moderates
    nothing. Five queries whatever the length of the queue."""
    communities = None if user.is_admin else sorted(await organizer_community_ids(user.id))
    if communities is not None and not communities:
        raise Forbidden("Only organizers of a community and admins moderate workshops.")
    ids = await repository.submitted_workshop_ids(communities, limit)
    records = await get_workshops(ids)
    now = runtime.clock.now()
    sessions = await render_sessions(runtime, _session_records(await repository.upcoming_sessions_of(ids, now)))
    by_workshop: dict[int, list[schemas.Session]] = {}
    for session in sessions:
        by_workshop.setdefault(session.workshop_id, []).append(session)
    found = await find_communities_by_id([w.community_id for w in records.values()])
    queue = []
    for workshop_id in ids:
        record = records.get(workshop_id)
        if record is None:
            continue
        upcoming = by_workshop.get(workshop_id, [])
        community = found.get(record.community_id)
        queue.append(schemas.WaitingWorkshop(
            workshop=schemas.Workshop(**_summary_fields(record, None, upcoming[0] if upcoming else None),
                                      sessions=upcoming, pending_revision=_revision_of(record)),
            community_name=community.name if community else record.community_slug,
            community_timezone=community.timezone if community else "UTC",
            waiting_since=record.revision_submitted_at or record.updated_at))
    return queue


async def organizer_nav(user: CurrentUser) -> tuple[bool, int]:
    """(whether the user moderates anything, how many workshops wait for them): the header's
    Moderation link and its count, in one query (every community for an admin)."""
    if user.is_admin:
        return True, await repository.waiting_count(None)
    communities, waiting = await repository.organizer_nav(user.id)
    return communities > 0, waiting


async def host_profile(runtime: Runtime, host_id: int) -> schemas.HostProfile:
    """A host's public face: bio, skills, published workshops and the rating of all of them.
    Only hosts of at least one published workshop have one: for any other id (a participant,
    an admin, a host of drafts only) the answer is 404, as for an unknown id, so user ids
    cannot be walked to list names."""
    profile = await get_public_profile(host_id) if _valid_id(host_id) else None
    if profile is None:
        raise NotFound(f"No host {host_id}.")
    workshops = await list_workshops(runtime, rules.ListingQuery(host=host_id), limit=HOST_PROFILE_WORKSHOPS)
    if workshops.total == 0:
        raise NotFound(f"No host {host_id}.")
    rating = await _stats(runtime).rating_of_host(host_id)
    return schemas.HostProfile(id=profile.id, display_name=profile.display_name, bio=profile.bio,
                               skills=list(profile.skills), workshops=workshops.items, rating=_rating(rating))


@dataclass(frozen=True)
class FeedVersion:
    """A feed's validator, read before rendering it: `etag` changes whenever what the feed shows
    may have changed (and at least every `FEED_VERSION_PERIOD`, which bounds what no column
    records, such as a host's new name); `last_modified` is the latest change among its rows."""

    etag: str
    last_modified: dt.datetime | None


FEED_VERSION_PERIOD = dt.timedelta(hours=1)


def version_period(now: dt.datetime) -> int:
    return int(now.timestamp() // FEED_VERSION_PERIOD.total_seconds())


def _latest(*moments: Any) -> dt.datetime | None:
    found = [as_datetime(m) for m in moments if m is not None]
    return max(found) if found else None


# the community feeds' validators, kept as the listing's answers are (`ShortLived`): under load a
# poll costs a look-up, and the aggregate runs once per second per feed
_feed_versions = ShortLived(256)


async def community_calendar_version(runtime: Runtime, slug: str) -> tuple[Any, FeedVersion]:
    """`_community_calendar_version`, from the kept validators when one is current."""
    return await _feed_versions.get_or_build((runtime.worker_id, slug), runtime.clock.now(),
                                             lambda: _community_calendar_version(runtime, slug))


async def _community_calendar_version(runtime: Runtime, slug: str) -> tuple[Any, FeedVersion]:
    """The community and its feed's validator (one aggregate over the feed's sessions);
    NotFound for an unknown slug."""
    community = await find_community_by_slug(slug)
    if community is None:
        raise NotFound(f"No community {slug!r}.")
    now = runtime.clock.now()
    row = await repository.feed_version(community.id, ending_from=now - FEED_HISTORY,
                                        starting_before=now + FEED_AHEAD)
    changed = (row["sessions_changed"], row["workshops_changed"])
    etag = etag_of_version("community", community.id, community.name, int(row["n"]), int(row["ids"]),
                           int(row["sequences"]), *map(str, changed), version_period(now),
                           runtime.settings.base_url, runtime.settings.mail_from)
    return community, FeedVersion(etag=etag, last_modified=_latest(*changed))


async def community_calendar(runtime: Runtime, slug: str, community: Any = None) -> bytes:
    """The community's public iCalendar feed, METHOD:PUBLISH: the scheduled sessions of its
    published workshops that ended at most 30 days ago or start within a year, the first 1000
    of them in start order (`FEED_HISTORY`, `FEED_AHEAD`, `FEED_MAX_EVENTS`)."""
    community = community or await find_community_by_slug(slug)
    if community is None:
        raise NotFound(f"No community {slug!r}.")
    now = runtime.clock.now()
    sessions = _session_records(await repository.feed_session_rows(
        community.id, ending_from=now - FEED_HISTORY, starting_before=now + FEED_AHEAD, limit=FEED_MAX_EVENTS))
    workshops = await get_workshops([s.workshop_id for s in sessions])
    # icalendar's objects and to_ical cost ~1.5 s for 1,000 events: in a worker thread
    return await asyncio.to_thread(
        calendar.community_feed,
        community_name=community.name, sessions=[(s, workshops[s.workshop_id]) for s in sessions],
        now=now, base_url=runtime.settings.base_url, mail_from=runtime.settings.mail_from,
    )


# ------------------------------------------------------------ short codes and the programme

PROGRAMME_DAYS = 14


async def session_of_short_code(code: str) -> tuple[int, int]:
    """(session id, workshop id) of a short code typed or printed (any case); NotFound else."""
    normal = rules.normalise_short_code(code)
    row = await repository.session_by_short_code(normal) if normal else None
    if row is None:
        raise NotFound("no session has this code")
    return row["id"], row["workshop_id"]


async def programme(community_id: int, now: dt.datetime, days: int = PROGRAMME_DAYS) -> list[Any]:
    """The community's published sessions of the next `days` days, in order (one query)."""
    return await repository.programme(community_id, now, now + dt.timedelta(days=days))
