"""Request and response bodies of the bookings and waitlist API (msgspec Structs), and the
status enums of booking's tables (the same ones in `tables.py`, `rules.py` and the SQL)."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType


class BookingStatus(StrEnum):
    """`pending_payment` (a payment hold until `hold_expires_at`) → `confirmed`; either may
    become `cancelled`; a hold not paid in time becomes `expired`."""

    pending_payment = "pending_payment"
    confirmed = "confirmed"
    cancelled = "cancelled"
    expired = "expired"


class BookingSource(StrEnum):
    """Who made a booking: the participant (`self`), a relay, the host or an organizer for a
    neighbour (`relay`), the host at the door (`walk_in`), or a standby seat served at the door."""

    self_ = "self"
    relay = "relay"
    walk_in = "walk_in"
    standby = "standby"


class StandbyStatus(StrEnum):
    """`waiting` at the door → `served` (a booking `source:"standby"`) or `left`."""

    waiting = "waiting"
    served = "served"
    left = "left"


class RefundStatus(StrEnum):
    """`pending` (to be sent to Stripe by the worker, retried with back-off) → `requested`
    (Stripe has it, not final yet) → `succeeded`, or `failed` (Stripe refused it: a person
    must look)."""

    pending = "pending"
    requested = "requested"
    succeeded = "succeeded"
    failed = "failed"


class Attendance(StrEnum):
    unknown = "unknown"
    attended = "attended"
    no_show = "no_show"


class WaitlistStatus(StrEnum):
    """`waiting` → `offered` (seats held until `offer_expires_at`) → `booked`; or `booked` at
    once (auto mode); an offer not taken in time is `expired`; the participant may leave
    (`withdrawn`) while `waiting` or `offered`."""

    waiting = "waiting"
    offered = "offered"
    booked = "booked"
    expired = "expired"
    withdrawn = "withdrawn"


def one_of(statuses: type[StrEnum]) -> Any:
    """A field type taking the enum's values: msgspec checks them, and the OpenAPI schema lists
    them inline (`"enum": [...]`) as it always has — the enum class itself would become a
    named component."""
    return Literal[tuple(status.value for status in statuses)]  # type: ignore[misc]


SEATS_MAX = 100  # the most any workshop allows per booking (workshops' SEATS_PER_BOOKING_MAX)
Seats = Annotated[int, Meta(ge=1, le=SEATS_MAX, description="Seats wanted (at most the workshop's max_seats_per_booking)")]
BookingStatusValue = one_of(BookingStatus)
AttendanceValue = one_of(Attendance)
WaitlistStatusValue = one_of(WaitlistStatus)
RefundStatusValue = one_of(RefundStatus)
BookingSourceValue = one_of(BookingSource)


GuestName = Annotated[str, Meta(min_length=1, max_length=100, description="How the host will call them at the door")]


class Guest(Struct, kw_only=True, forbid_unknown_fields=True):
    """A neighbour without an account, booked for by a relay, the host or an organizer."""

    name: GuestName
    phone: Annotated[str, Meta(max_length=40, description="Any usual form; kept in E.164")] | None = None
    note: Annotated[str, Meta(max_length=300)] | None = None


class BookingCreate(Struct, kw_only=True):
    seats: Seats = 1
    guest: Guest | None = None  # booking for a neighbour (a relay, the host or an organizer)


class GuestView(Struct, kw_only=True):
    name: str | None  # null once erased (30 days after the session)
    phone: str | None = None
    note: str | None = None


class DoorCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    """A walk-in or a standby entry at the door: a name is optional."""

    name: Annotated[str, Meta(max_length=100)] | None = None
    seats: Seats = 1


class StandbyEntryView(Struct, kw_only=True):
    id: int
    position: int
    seats: int
    name: str | None = None


class ReleaseResult(Struct, kw_only=True):
    released_seats: int
    served: list[int]


class Booking(Struct, kw_only=True, omit_defaults=True):
    id: int
    session_id: int
    user_id: int | None  # null for a neighbour without an account (see `guest`)
    seats: int
    status: BookingStatusValue
    attendance: AttendanceValue
    amount_cents: int
    currency: str
    late_cancellation: bool
    checkin_code: str
    created_at: dt.datetime
    source: BookingSourceValue  # self, relay, walk_in or standby
    checkout_url: str | None = None  # only while a Stripe payment is pending
    hold_expires_at: dt.datetime | None = None  # only for pending_payment
    refund_status: RefundStatusValue | None = None  # only once a refund exists
    refunded_cents: int = 0  # what Stripe has given back (shown when not 0)
    guest: GuestView | None = None  # a booking for a neighbour without an account
    booked_by: int | None = None  # who made it, when not its participant


class BookingList(Struct, kw_only=True):
    items: list[Booking]
    total: int


class WaitlistJoin(Struct, kw_only=True):
    seats: Seats = 1


class WaitlistEntry(Struct, kw_only=True, omit_defaults=True):
    id: int
    session_id: int
    seats: int
    status: WaitlistStatusValue
    # 1 is next in line; null once the entry is no longer `waiting`
    position: int | None
    offer_expires_at: dt.datetime | None = None  # while `offered`: accept before this instant
    booking_id: int | None = None  # once `booked`


class PlaceInSession(Struct, kw_only=True, frozen=True):
    """A user's active booking or waitlist entry of one session, as a workshop's page shows it
    in place of its Book button (`kind` "booking" or "entry")."""

    kind: Literal["booking", "entry"]
    id: int
    session_id: int
    seats: int
    status: str  # a BookingStatus for a booking, a WaitlistStatus for an entry
    position: int | None = None  # a waiting entry's place in line (1 is next)
    offer_expires_at: dt.datetime | None = None  # an offered entry: accept before this instant


class WaitlistList(Struct, kw_only=True):
    items: list[WaitlistEntry]
    total: int


class SessionChange(Struct, kw_only=True, forbid_unknown_fields=True):
    """Partial update of a session; naive times are read in the session's (new) timezone; an
    unknown field is a 400."""

    starts_at: dt.datetime | UnsetType = UNSET
    ends_at: dt.datetime | UnsetType = UNSET
    timezone: Annotated[str, Meta(min_length=1, max_length=64)] | UnsetType = UNSET
    capacity: Annotated[int, Meta(ge=1, le=10_000)] | UnsetType = UNSET


class SessionCancel(Struct, kw_only=True):
    reason: Annotated[str, Meta(min_length=1, max_length=1000, pattern=r"\S",
                                description="Told to every participant; not blank")]


# ------------------------------------------------- attendance, check-in and feedback (issue 10)

class MarkVia(StrEnum):
    """How an attendance mark was made: by hand (`mark`) or by a check-in code (`checkin`)."""

    mark = "mark"
    checkin = "checkin"


class AttendanceChange(Struct, kw_only=True, forbid_unknown_fields=True):
    attendance: AttendanceValue


class CheckIn(Struct, kw_only=True, forbid_unknown_fields=True):
    checkin_code: Annotated[str, Meta(min_length=1, max_length=64,
                                      description="The code as printed (case, spaces and dashes do not matter) "
                                                  "or as scanned from the QR code")]


class RosterItem(Struct, kw_only=True, omit_defaults=True):
    booking_id: int
    display_name: str
    seats: int
    status: BookingStatusValue
    attendance: AttendanceValue
    # what the booking costs (seats × price): to collect at the door when `payment` is `on_site`
    amount_cents: int
    currency: str
    payment: Literal["free", "on_site", "stripe"]
    # the participant answered OUI/YES to a text message about it
    confirmed_by_text: bool  # always present (omit_defaults would drop a False)
    source: BookingSourceValue | None = None  # relay, walk_in, standby: made for someone without an account
    guest_phone: str | None = None  # a neighbour's phone, for the host to call
    guest_note: str | None = None


class RosterWaitlistItem(Struct, kw_only=True):
    id: int
    display_name: str
    seats: int
    position: int | None  # 1 is next in line; null while `offered`
    status: WaitlistStatusValue


class Roster(Struct, kw_only=True):
    session_id: int
    items: list[RosterItem]
    total: int
    booked_seats: int
    waitlist: list[RosterWaitlistItem]
    standby: list[StandbyEntryView] = []  # people waiting at the door, in order


class AttendanceMarkRecord(Struct, kw_only=True):
    id: int
    booking_id: int
    from_attendance: AttendanceValue
    to_attendance: AttendanceValue
    via: one_of(MarkVia)  # type: ignore[valid-type]
    marked_by: int | None  # the user who marked (null once their account is gone)
    marked_at: dt.datetime


class AttendanceHistory(Struct, kw_only=True):
    items: list[AttendanceMarkRecord]
    total: int


RatingValue = Annotated[int, Meta(ge=1, le=5, description="1 (poor) to 5 (excellent)")]
COMMENT_MAX = 2000


class FeedbackCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    rating: RatingValue
    comment: Annotated[str, Meta(max_length=COMMENT_MAX, description="Plain text, at most 2000 characters")] = ""


class Feedback(Struct, kw_only=True):
    id: int
    booking_id: int
    rating: int
    comment: str
    created_at: dt.datetime


class WorkshopFeedbackItem(Struct, kw_only=True):
    id: int
    session_id: int
    session_starts_at: dt.datetime
    rating: int
    # null when an organizer hid it and the reader is the host (organizers still read it)
    comment: str | None
    hidden: bool
    created_at: dt.datetime


class FeedbackRating(Struct, kw_only=True):
    average: float | None  # null below 3 ratings
    count: int


class WorkshopFeedback(Struct, kw_only=True):
    items: list[WorkshopFeedbackItem]
    total: int
    rating: FeedbackRating
