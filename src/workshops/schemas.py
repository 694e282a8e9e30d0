"""Request and response bodies of the workshops API (msgspec Structs).

Constraints declared here document the API (OpenAPI) and reject bad types early; the rules
in `rules.py` stay the authority, also for callers that build these Structs in Python.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from workshops import rules
from workshops.enums import Licence, Payment, SessionStatus, WaitlistMode, WorkshopStatus

Title = Annotated[str, Meta(min_length=1, max_length=rules.TITLE_MAX)]
Summary = Annotated[str, Meta(min_length=1, max_length=rules.SUMMARY_MAX)]
Description = Annotated[str, Meta(max_length=rules.DESCRIPTION_MAX)]
Category = Annotated[str, Meta(min_length=1, max_length=rules.CATEGORY_MAX,
                               description="Free text, e.g. 'repair' or 'cooking'")]
Tags = Annotated[list[Annotated[str, Meta(min_length=1, max_length=rules.TAG_MAX)]],
                 Meta(max_length=rules.TAGS_MAX)]
Language = Annotated[str, Meta(min_length=2, max_length=8, description="Language tag, e.g. 'fr'")]
Url = Annotated[str, Meta(min_length=1, max_length=rules.URL_MAX, description="http(s) URL")]
Currency = Annotated[str, Meta(pattern="^[A-Za-z]{3}$",
                               description="ISO 4217 code in any case; answered lowercase")]
Capacity = Annotated[int, Meta(ge=1, le=rules.CAPACITY_MAX)]
SeatsPerBooking = Annotated[int, Meta(ge=1, le=rules.SEATS_PER_BOOKING_MAX)]
PriceCents = Annotated[int, Meta(ge=0, le=rules.PRICE_MAX_CENTS,
                                 description="0 for free workshops, more for on_site and stripe")]
DeadlineHours = Annotated[int, Meta(ge=0, le=rules.DEADLINE_MAX_HOURS)]


class Venue(Struct, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=rules.VENUE_NAME_MAX)]
    address: Annotated[str, Meta(min_length=1, max_length=rules.VENUE_ADDRESS_MAX)]
    lat: Annotated[float, Meta(ge=-90, le=90)] | None = None
    lon: Annotated[float, Meta(ge=-180, le=180)] | None = None


class Waitlist(Struct, kw_only=True):
    enabled: bool = True
    mode: WaitlistMode = WaitlistMode.auto
    offer_ttl_minutes: Annotated[int, Meta(ge=1, le=rules.OFFER_TTL_MAX_MINUTES)] = 60


class WorkshopCreate(Struct, kw_only=True):
    community: Annotated[str, Meta(min_length=1, max_length=64, description="Community slug")]
    title: Title
    summary: Summary
    category: Category
    payment: Payment
    capacity: Capacity
    description: Description = ""
    tags: Tags = msgspec.field(default_factory=list)
    language: Language | None = None  # default: the community's locale
    venue: Venue | None = None
    online_url: Url | None = None
    price_cents: PriceCents = 0
    currency: Currency = "eur"
    max_seats_per_booking: SeatsPerBooking = 4
    waitlist: Waitlist = msgspec.field(default_factory=Waitlist)
    cancellation_deadline_hours: DeadlineHours = 24


class WorkshopUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    """Partial update: absent fields stay; `venue: null` / `online_url: null` remove them; an
    unknown field is a 400 (a misspelt field must not look saved)."""

    title: Title | UnsetType = UNSET
    summary: Summary | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    venue: Venue | None | UnsetType = UNSET
    online_url: Url | None | UnsetType = UNSET
    payment: Payment | UnsetType = UNSET
    price_cents: PriceCents | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    capacity: Capacity | UnsetType = UNSET
    max_seats_per_booking: SeatsPerBooking | UnsetType = UNSET
    waitlist: Waitlist | UnsetType = UNSET
    cancellation_deadline_hours: DeadlineHours | UnsetType = UNSET


class Reject(Struct, kw_only=True):
    reason: Annotated[str, Meta(min_length=1, max_length=rules.REASON_MAX)]


class SessionCreate(Struct, kw_only=True):
    starts_at: Annotated[dt.datetime, Meta(description="RFC 3339; without an offset it is read in `timezone`")]
    ends_at: dt.datetime
    timezone: Annotated[str, Meta(min_length=1, max_length=64, description="IANA zone, e.g. Europe/Paris")]
    capacity: Capacity | None = None  # default: the workshop's
    rrule: Annotated[str, Meta(max_length=rules.RRULE_MAX, description=(
        "RFC 5545 RRULE, e.g. 'FREQ=WEEKLY;COUNT=4', run in the session's local time; it ends "
        f"(COUNT or UNTIL), makes at most {rules.MAX_OCCURRENCES} sessions, all within 10 years "
        "(else 400 naming `rrule`)"
    ))] | None = None


# ---------------------------------------------------------------------------------- responses

class Person(Struct, kw_only=True):
    id: int
    display_name: str


class Rating(Struct, kw_only=True):
    average: float | None  # null below 3 ratings
    count: int


class Session(Struct, kw_only=True):
    id: int
    workshop_id: int
    starts_at: dt.datetime  # with the offset of `timezone`
    ends_at: dt.datetime
    timezone: str
    capacity: int
    seats_taken: int
    seats_left: int
    waitlist_length: int
    status: SessionStatus
    sequence: int


class SessionList(Struct, kw_only=True):
    items: list[Session]
    total: int


class WorkshopSummary(Struct, kw_only=True):
    """A workshop in lists (listing, host profile): everything but its sessions."""

    id: int
    community: str
    host: Person
    title: str
    summary: str
    description: str
    category: str
    tags: list[str]
    language: str
    venue: Venue | None
    online_url: str | None
    payment: Payment
    price_cents: int
    currency: str
    capacity: int
    max_seats_per_booking: int
    waitlist: Waitlist
    cancellation_deadline_hours: int
    status: WorkshopStatus
    rejection_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None
    next_session: Session | None
    rating: Rating
    recipe_id: int | None = None  # the recipe this workshop was copied from


class PendingRevision(Struct, kw_only=True):
    """A published workshop's edit waiting for its community's organizers (moderated
    communities): the published version stays public and bookable meanwhile."""

    fields: list[str]  # the content fields it changes, by their names in the workshop
    submitted_at: dt.datetime  # when the host last changed it
    proposed: dict[str, Any]  # each changed field's proposed value, shaped as in the workshop


class Workshop(WorkshopSummary, kw_only=True):
    """A workshop with all its sessions, in start order; `pending_revision` only for its host,
    its community's organizers and admins (null for everyone else, and when none waits)."""

    sessions: list[Session]
    pending_revision: PendingRevision | None = None


class WaitingWorkshop(Struct, kw_only=True):
    """A moderation card: the workshop with its upcoming sessions (and its pending revision,
    if that is what waits), its community's name and zone, and since when it waits."""

    workshop: Workshop
    community_name: str
    community_timezone: str
    waiting_since: dt.datetime


class WorkshopList(Struct, kw_only=True):
    items: list[WorkshopSummary]
    total: int


class HostProfile(Struct, kw_only=True):
    id: int
    display_name: str
    bio: str
    skills: list[str]
    workshops: list[WorkshopSummary]
    rating: Rating


# ------------------------------------------------------------------------------------ recipes

Material = Annotated[str, Meta(max_length=rules.RECIPE_MATERIAL_MAX)]
Step = Annotated[str, Meta(max_length=rules.RECIPE_STEP_MAX)]


class RecipePublish(Struct, kw_only=True, forbid_unknown_fields=True):
    """The host's recipe of a workshop that ran: the workshop's title, summary and category are
    copied into it as they are now (publishing again refreshes them)."""

    materials: Annotated[list[Material], Meta(max_length=rules.RECIPE_MATERIALS_MAX,
                                              description="What to bring or buy, one item each")]
    steps: Annotated[list[Step], Meta(max_length=rules.RECIPE_STEPS_MAX, description=(
        "How it goes, in order; at least one (blank items are left out; none left → 400 naming `steps`)"))]
    duration_minutes: Annotated[int, Meta(ge=1, le=rules.RECIPE_DURATION_MAX)]
    licence: Annotated[Licence, Meta(description="An open licence (SPDX identifier)")]
    group_size: Annotated[int, Meta(ge=1, le=rules.RECIPE_GROUP_MAX)] | None = None
    cost_note: Annotated[str, Meta(max_length=rules.RECIPE_COST_NOTE_MAX,
                                   description="What it costs to run, in words")] = ""


class RecipeCopy(Struct, kw_only=True, forbid_unknown_fields=True):
    community: Annotated[str, Meta(min_length=1, max_length=64, description="Slug of the community to run it in")]


class RecipeRuns(Struct, kw_only=True):
    """Across every workshop of the recipe's lineage: sessions held (ended, not cancelled),
    distinct communities, attended seats, and ratings (average null below 3)."""

    sessions: int
    communities: int
    attended_seats: int
    rating: Rating


class RecipeLink(Struct, kw_only=True):
    """A recipe in a lineage or a list."""

    id: int
    workshop_id: int
    title: str
    summary: str
    category: str
    community: str  # slug of its workshop's community
    author: Person  # "a former member" once the author's account is erased
    licence: Licence
    duration_minutes: int
    copied_from: int | None
    updated_at: dt.datetime


class Recipe(Struct, kw_only=True):
    id: int
    workshop_id: int
    title: str
    summary: str
    category: str
    community: str
    materials: list[str]
    steps: list[str]
    duration_minutes: int
    group_size: int | None
    cost_note: str
    licence: Licence
    licence_url: str
    author: Person
    copied_from: int | None
    copies: list[RecipeLink]
    copied_from_recipe: RecipeLink | None
    runs: RecipeRuns
    created_at: dt.datetime
    updated_at: dt.datetime


class RecipeList(Struct, kw_only=True):
    items: list[RecipeLink]
    total: int
