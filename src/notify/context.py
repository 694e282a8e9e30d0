"""The notify read model: read-only queries that load what an email or a calendar needs.

`notify` renders messages about bookings, sessions, workshops and waitlist entries that the
`booking`, `workshops` and `accounts` packages own. Their repositories export the queries
(one each, by primary key or an indexed foreign key); this module turns the rows into views.
Timestamps come back as aware UTC datetimes on both back ends.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accounts import repository as accounts_repo
from booking import repository as booking_repo
from booking.schemas import Attendance
from kernel.sql import fetch_all, fetch_one
from workshops import repository as workshops_repo

UTC = dt.timezone.utc


def utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    display_name: str
    locale: str
    timezone: str
    deleted: bool = False

    @property
    def language(self) -> str:
        """The supported language closest to the user's locale (`fr-CA` → `fr`)."""
        return "fr" if (self.locale or "").lower().startswith("fr") else "en"


@dataclass(frozen=True)
class CommunityView:
    id: int
    slug: str
    name: str
    timezone: str


@dataclass(frozen=True)
class WorkshopView:
    id: int
    title: str
    summary: str
    status: str
    venue_name: str | None
    venue_address: str | None
    lat: float | None
    lon: float | None
    online_url: str | None
    payment: str
    price_cents: int
    currency: str
    rejection_reason: str
    host: Person
    community: CommunityView

    @property
    def location(self) -> str:
        parts = [p for p in (self.venue_name, self.venue_address) if p]
        return ", ".join(parts) if parts else (self.online_url or "")


@dataclass(frozen=True)
class SessionView:
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str
    capacity: int
    status: str
    sequence: int
    cancel_reason: str
    created_at: dt.datetime | None
    workshop: WorkshopView


@dataclass(frozen=True)
class BookingView:
    id: int
    seats: int
    status: str
    attendance: str
    amount_cents: int
    currency: str
    created_at: dt.datetime
    checkout_url: str | None
    hold_expires_at: dt.datetime | None
    participant: Person
    session: SessionView
    checkin_code: str = ""  # shown at the door (and as the confirmation's QR code)
    guest_name: str | None = None  # booked by a relay for a neighbour: the email goes to the relay
    guest_phone: str | None = None  # that neighbour's number (E.164), for text messages


@dataclass(frozen=True)
class WaitlistEntryView:
    id: int
    seats: int
    status: str
    offer_expires_at: dt.datetime | None
    participant: Person
    session: SessionView


@dataclass(frozen=True)
class RosterLine:
    booking_id: int
    display_name: str
    seats: int
    attendance: str


def _person(row: dict[str, Any], prefix: str = "") -> Person:
    return Person(
        id=row[f"{prefix}id"], email=row[f"{prefix}email"], display_name=row[f"{prefix}display_name"],
        locale=row[f"{prefix}locale"] or "en", timezone=row[f"{prefix}timezone"] or "UTC",
        deleted=row[f"{prefix}deleted_at"] is not None,
    )


async def load_person(user_id: int) -> Person | None:
    row = await fetch_one(accounts_repo.PERSON_BY_ID, user_id)
    return _person(row) if row else None


def _workshop(row: dict[str, Any]) -> WorkshopView:
    return WorkshopView(
        id=row["w_id"], title=row["w_title"], summary=row["w_summary"] or "", status=row["w_status"],
        venue_name=row["w_venue_name"], venue_address=row["w_venue_address"],
        lat=row["w_lat"], lon=row["w_lon"], online_url=row["w_online_url"],
        payment=row["w_payment"], price_cents=row["w_price_cents"] or 0,
        currency=row["w_currency"] or "eur", rejection_reason=row["w_rejection_reason"] or "",
        host=_person(row, "h_"),
        community=CommunityView(id=row["c_id"], slug=row["c_slug"], name=row["c_name"],
                                timezone=row["c_timezone"] or "UTC"),
    )


def _session(row: dict[str, Any]) -> SessionView:
    return SessionView(
        id=row["s_id"], starts_at=utc(row["s_starts_at"]), ends_at=utc(row["s_ends_at"]),
        timezone=row["s_timezone"] or "UTC", capacity=row["s_capacity"], status=row["s_status"],
        sequence=row["s_sequence"] or 0, cancel_reason=row["s_cancel_reason"] or "",
        created_at=utc(row["s_created_at"]), workshop=_workshop(row),
    )


async def load_workshop(workshop_id: int) -> WorkshopView | None:
    row = await fetch_one(workshops_repo.WORKSHOP_VIEW_BY_ID, workshop_id)
    return _workshop(row) if row else None


async def load_session(session_id: int) -> SessionView | None:
    row = await fetch_one(workshops_repo.SESSION_VIEW_BY_ID, session_id)
    return _session(row) if row else None


async def load_booking(booking_id: int) -> BookingView | None:
    row = await fetch_one(booking_repo.BOOKING_VIEW_BY_ID, booking_id)
    return _booking(row) if row else None


def _booking(row: dict[str, Any]) -> BookingView:
    return BookingView(
        id=row["b_id"], seats=row["b_seats"], status=row["b_status"],
        attendance=row["b_attendance"] or Attendance.unknown, amount_cents=row["b_amount_cents"] or 0,
        currency=row["b_currency"] or "eur", created_at=utc(row["b_created_at"]),
        checkout_url=row["b_checkout_url"], hold_expires_at=utc(row["b_hold_expires_at"]),
        participant=_person(row, "p_"), session=_session(row), checkin_code=row["b_checkin_code"] or "",
        guest_name=row["b_guest_name"], guest_phone=row["b_guest_phone"],
    )


async def load_waitlist_entry(entry_id: int) -> WaitlistEntryView | None:
    row = await fetch_one(booking_repo.WAITLIST_ENTRY_VIEW_BY_ID, entry_id)
    if row is None:
        return None
    return WaitlistEntryView(
        id=row["e_id"], seats=row["e_seats"], status=row["e_status"],
        offer_expires_at=utc(row["e_offer_expires_at"]), participant=_person(row, "p_"),
        session=_session(row),
    )


async def community_organizers(community_id: int) -> list[Person]:
    return [_person(r) for r in await fetch_all(accounts_repo.COMMUNITY_ORGANIZERS, community_id)]


async def confirmed_bookings_of_session(
    session_id: int, booked_by: dt.datetime | None = None,
) -> list[tuple[int, int]]:
    """(booking_id, user_id) of a session's confirmed bookings, made no later than
    `booked_by` when given (a change announced at `booked_by` concerns those only)."""
    if booked_by is None:
        rows = await fetch_all(booking_repo.CONFIRMED_OF_SESSION, session_id)
    else:
        rows = await fetch_all(booking_repo.CONFIRMED_OF_SESSION_BOOKED_BY, session_id, booked_by)
    return [(r["id"], r["user"]) for r in rows]


async def confirmed_booking_of(session_id: int, user_id: int) -> BookingView | None:
    """The participant's confirmed booking of a session, if any (one at most: a participant
    holds one active booking per session)."""
    for booking_id, participant_id in await confirmed_bookings_of_session(session_id):
        if participant_id == user_id:
            return await load_booking(booking_id)
    return None


async def roster(session_id: int) -> list[RosterLine]:
    return [RosterLine(booking_id=r["id"], display_name=r["display_name"], seats=r["seats"],
                       attendance=r["attendance"] or Attendance.unknown)
            for r in await fetch_all(booking_repo.ROSTER, session_id)]


async def confirmed_bookings_of_user(user_id: int, *, ending_from: dt.datetime, starting_before: dt.datetime,
                                      limit: int) -> list[BookingView]:
    """The confirmed bookings of a user whose session ends from `ending_from` and starts before
    `starting_before`, the first `limit` in start order (the personal calendar feed)."""
    return [_booking(r) for r in await fetch_all(booking_repo.BOOKING_VIEWS_OF_USER, user_id, ending_from,
                                                 starting_before, limit)]
