"""The notify read model: read-only queries that load what an email or a calendar needs.

`notify` renders messages about bookings, sessions, workshops and waitlist entries that the
`booking` and `workshops` packages own. Rather than importing their tables, it reads them
here, with raw SQL over the documented table layout, always by primary key or by an indexed
foreign key (`booking.session`, `booking.user`, `workshop_session.starts_at`, ...). Nothing
here writes. Should those packages change their columns, this module is the one to adapt.

Tables read: app_user, community, community_organizer, workshop, workshop_session, booking,
waitlist_entry. Timestamps come back as aware UTC datetimes on both back ends.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from notify.tables import OutboxMessage

UTC = dt.timezone.utc


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run a read query on the bound engine (`{}` placeholders, either back end)."""
    return await OutboxMessage.raw(sql, *args)


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


_PERSON_COLUMNS = "id, email, display_name, locale, timezone, deleted_at"


def _person(row: dict[str, Any], prefix: str = "") -> Person:
    return Person(
        id=row[f"{prefix}id"], email=row[f"{prefix}email"], display_name=row[f"{prefix}display_name"],
        locale=row[f"{prefix}locale"] or "en", timezone=row[f"{prefix}timezone"] or "UTC",
        deleted=row[f"{prefix}deleted_at"] is not None,
    )


async def load_person(user_id: int) -> Person | None:
    rows = await fetch(f"SELECT {_PERSON_COLUMNS} FROM app_user WHERE id = {{}}", user_id)
    return _person(rows[0]) if rows else None


_WORKSHOP_SELECT = """
SELECT w.id AS w_id, w.title AS w_title, w.summary AS w_summary, w.status AS w_status,
       w.venue_name AS w_venue_name, w.venue_address AS w_venue_address,
       w.venue_lat AS w_lat, w.venue_lon AS w_lon, w.online_url AS w_online_url,
       w.payment AS w_payment, w.price_cents AS w_price_cents, w.currency AS w_currency,
       w.rejection_reason AS w_rejection_reason,
       h.id AS h_id, h.email AS h_email, h.display_name AS h_display_name, h.locale AS h_locale,
       h.timezone AS h_timezone, h.deleted_at AS h_deleted_at,
       c.id AS c_id, c.slug AS c_slug, c.name AS c_name, c.timezone AS c_timezone
"""
_WORKSHOP_JOINS = """
JOIN app_user h ON h.id = w."host"
JOIN community c ON c.id = w."community"
"""
_SESSION_COLUMNS = """,
       s.id AS s_id, s.starts_at AS s_starts_at, s.ends_at AS s_ends_at, s.timezone AS s_timezone,
       s.capacity AS s_capacity, s.status AS s_status, s.sequence AS s_sequence,
       s.cancel_reason AS s_cancel_reason, s.created_at AS s_created_at
"""


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
    rows = await fetch(f"{_WORKSHOP_SELECT} FROM workshop w {_WORKSHOP_JOINS} WHERE w.id = {{}}",
                       workshop_id)
    return _workshop(rows[0]) if rows else None


async def load_session(session_id: int) -> SessionView | None:
    rows = await fetch(
        f"{_WORKSHOP_SELECT}{_SESSION_COLUMNS} FROM workshop_session s "
        f'JOIN workshop w ON w.id = s."workshop" {_WORKSHOP_JOINS} WHERE s.id = {{}}',
        session_id,
    )
    return _session(rows[0]) if rows else None


_PARTICIPANT_COLUMNS = """,
       p.id AS p_id, p.email AS p_email, p.display_name AS p_display_name, p.locale AS p_locale,
       p.timezone AS p_timezone, p.deleted_at AS p_deleted_at
"""


# A booking with its participant, session, workshop and host: the rendering context of most kinds
_BOOKING_VIEW_SELECT = (
    f"{_WORKSHOP_SELECT}{_SESSION_COLUMNS}{_PARTICIPANT_COLUMNS},"
    " b.id AS b_id, b.seats AS b_seats, b.status AS b_status, b.attendance AS b_attendance,"
    " b.amount_cents AS b_amount_cents, b.currency AS b_currency, b.created_at AS b_created_at,"
    " b.checkout_url AS b_checkout_url, b.hold_expires_at AS b_hold_expires_at"
    ' FROM booking b JOIN workshop_session s ON s.id = b."session"'
    ' JOIN app_user p ON p.id = b."user"'
    f' JOIN workshop w ON w.id = s."workshop" {_WORKSHOP_JOINS}'
)


async def load_booking(booking_id: int) -> BookingView | None:
    rows = await fetch(
        f"{_BOOKING_VIEW_SELECT} WHERE b.id = {{}}",
        booking_id,
    )
    return _booking(rows[0]) if rows else None


def _booking(row: dict[str, Any]) -> BookingView:
    return BookingView(
        id=row["b_id"], seats=row["b_seats"], status=row["b_status"],
        attendance=row["b_attendance"] or "unknown", amount_cents=row["b_amount_cents"] or 0,
        currency=row["b_currency"] or "eur", created_at=utc(row["b_created_at"]),
        checkout_url=row["b_checkout_url"], hold_expires_at=utc(row["b_hold_expires_at"]),
        participant=_person(row, "p_"), session=_session(row),
    )


async def load_waitlist_entry(entry_id: int) -> WaitlistEntryView | None:
    rows = await fetch(
        f"{_WORKSHOP_SELECT}{_SESSION_COLUMNS}{_PARTICIPANT_COLUMNS},"
        " e.id AS e_id, e.seats AS e_seats, e.status AS e_status,"
        " e.offer_expires_at AS e_offer_expires_at"
        ' FROM waitlist_entry e JOIN workshop_session s ON s.id = e."session"'
        ' JOIN app_user p ON p.id = e."user"'
        f' JOIN workshop w ON w.id = s."workshop" {_WORKSHOP_JOINS} WHERE e.id = {{}}',
        entry_id,
    )
    if not rows:
        return None
    row = rows[0]
    return WaitlistEntryView(
        id=row["e_id"], seats=row["e_seats"], status=row["e_status"],
        offer_expires_at=utc(row["e_offer_expires_at"]), participant=_person(row, "p_"),
        session=_session(row),
    )


async def community_organizers(community_id: int) -> list[Person]:
    rows = await fetch(
        "SELECT u.id, u.email, u.display_name, u.locale, u.timezone, u.deleted_at"
        ' FROM community_organizer o JOIN app_user u ON u.id = o."user"'
        ' WHERE o."community" = {} AND u.deleted_at IS NULL ORDER BY u.id',
        community_id,
    )
    return [_person(r) for r in rows]


async def confirmed_bookings_of_session(
    session_id: int, booked_by: dt.datetime | None = None,
) -> list[tuple[int, int]]:
    """(booking_id, user_id) of a session's confirmed bookings, made no later than
    `booked_by` when given (a change announced at `booked_by` concerns those only)."""
    sql = ('SELECT id, "user" FROM booking WHERE "session" = {} AND status = \'confirmed\'')
    args: list[Any] = [session_id]
    if booked_by is not None:
        sql += " AND created_at <= {}"
        args.append(booked_by)
    rows = await fetch(sql + " ORDER BY id", *args)
    return [(r["id"], r["user"]) for r in rows]


async def roster(session_id: int) -> list[RosterLine]:
    rows = await fetch(
        "SELECT b.id, b.seats, b.attendance, u.display_name FROM booking b"
        ' JOIN app_user u ON u.id = b."user"'
        " WHERE b.\"session\" = {} AND b.status = 'confirmed' ORDER BY b.created_at, b.id",
        session_id,
    )
    return [RosterLine(booking_id=r["id"], display_name=r["display_name"], seats=r["seats"],
                       attendance=r["attendance"] or "unknown") for r in rows]


async def confirmed_bookings_of_user(user_id: int) -> list[BookingView]:
    """Every confirmed booking of a user (the personal calendar feed), oldest session first."""
    rows = await fetch(
        f"{_BOOKING_VIEW_SELECT} WHERE b.\"user\" = {{}} AND b.status = 'confirmed'"
        " ORDER BY s.starts_at, b.id",
        user_id,
    )
    return [_booking(r) for r in rows]
