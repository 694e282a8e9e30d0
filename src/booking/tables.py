"""Bookings, waitlist entries, idempotency keys, feedback and attendance marks."""
from piccolo.columns import (
    Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from booking.schemas import (
    Attendance, BookingSource, BookingStatus, MarkVia, RefundStatus, StandbyStatus, WaitlistStatus,
)

USER = LazyTableReference("User", module_path="accounts.tables")
SESSION = LazyTableReference("WorkshopSession", module_path="workshops.tables")


class Booking(Table, tablename="booking"):
    # no single-column indexes on session or status: every booking insert pays for each index,
    # and the raw index booking_session_status_seats ("session", status, hold_expires_at, seats)
    # serves lookups by session (and status) — see the migration "seat count and waitlist indexes"
    session = ForeignKey(SESSION, on_delete=OnDelete.restrict, index=False)
    user = ForeignKey(USER, on_delete=OnDelete.restrict, index=True)
    seats = Integer()
    status = Varchar(length=16, index=False, choices=BookingStatus)
    attendance = Varchar(length=8, default=Attendance.unknown, choices=Attendance)
    amount_cents = Integer(default=0)
    currency = Varchar(length=3, default="eur")
    late_cancellation = Boolean(default=False)
    hold_expires_at = Timestamptz(null=True, default=None, index=True)
    checkin_code = Varchar(length=32, unique=True)
    # "session_id:user_id" while pending_payment or confirmed, NULL otherwise: the database
    # itself refuses a second active booking of one participant for one session.
    active_slot = Varchar(length=40, unique=True, null=True, default=None)
    checkout_session_id = Varchar(length=255, null=True, default=None, index=True)
    checkout_url = Text(null=True, default=None)
    payment_intent_id = Varchar(length=255, null=True, default=None)
    refund_id = Varchar(length=255, null=True, default=None)
    # what was given back (cents, refunds Stripe confirmed) and the latest refund's state:
    # NULL (none) | pending | requested | succeeded | failed
    refunded_cents = Integer(default=0)
    refund_status = Varchar(length=10, null=True, default=None)
    waitlist_entry_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    cancelled_by = Varchar(length=12, null=True, default=None)  # participant | host | organizer | system
    # when the participant answered OUI/YES to a text about this booking (the roster shows it)
    confirmed_by_text_at = Timestamptz(null=True, default=None)
    # who made it: the participant themself (`source` self), or a relay, the host or an
    # organizer for a neighbour without an account (`user` NULL, guest_* set): relay, walk_in,
    # standby. The guest's name, phone (E.164) and note are erased 30 days after the session.
    booked_by = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    source = Varchar(length=8, default=BookingSource.self_, choices=BookingSource)
    guest_name = Varchar(length=100, null=True, default=None)
    guest_phone = Varchar(length=20, null=True, default=None)
    guest_note = Varchar(length=300, null=True, default=None)
    # a free or on-site booking not checked in whose seats went to the standby list at the door
    released_at = Timestamptz(null=True, default=None)


class IdempotencyKey(Table, tablename="booking_idempotency_key"):
    """A client's Idempotency-Key for a booking request, kept at least 24 h."""

    # "user_id:key"
    user_key = Varchar(length=300, unique=True)
    request_hash = Varchar(length=64)
    booking_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class WaitlistEntry(Table, tablename="waitlist_entry"):
    session = ForeignKey(SESSION, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(USER, on_delete=OnDelete.restrict, index=True)
    seats = Integer()
    status = Varchar(length=10, index=True, choices=WaitlistStatus)
    offer_expires_at = Timestamptz(null=True, default=None, index=True)
    # "session_id:user_id" while waiting or offered, NULL otherwise
    active_slot = Varchar(length=40, unique=True, null=True, default=None)
    booking_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class StandbyEntry(Table, tablename="standby_entry"):
    """Someone waiting at the door of a full session (by name, no account), served in order when
    the no-shows' seats are released."""

    session = ForeignKey(SESSION, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100, null=True, default=None)
    seats = Integer()
    status = Varchar(length=8, default=StandbyStatus.waiting, choices=StandbyStatus)
    added_by = ForeignKey(USER, on_delete=OnDelete.restrict, null=True, default=None, index=False)
    booking_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Feedback(Table, tablename="feedback"):
    booking = ForeignKey(Booking, on_delete=OnDelete.cascade, unique=True)
    rating = Integer()
    comment = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    # an organizer hid the comment (abusive): the rating still counts, the host no longer sees it
    hidden_at = Timestamptz(null=True, default=None)
    hidden_by = ForeignKey(USER, on_delete=OnDelete.set_null, null=True, default=None, index=False)


class AttendanceMark(Table, tablename="attendance_mark"):
    """Append-only: one row per change of a booking's `attendance` (the booking keeps the
    current value), so a mistaken mark can be undone and the change audited."""

    booking = ForeignKey(Booking, on_delete=OnDelete.cascade, index=True)
    marked_by = ForeignKey(USER, on_delete=OnDelete.set_null, null=True, default=None, index=False)
    from_attendance = Varchar(length=8, choices=Attendance)
    to_attendance = Varchar(length=8, choices=Attendance)
    via = Varchar(length=8, choices=MarkVia)  # mark | checkin
    marked_at = Timestamptz(default=TimestamptzNow())


class PaymentEvent(Table, tablename="payment_event"):
    """A payment provider's webhook event, stored (unique id) in the transaction of its effect:
    a delivery seen before is acknowledged and ignored."""

    event_id = Varchar(length=255, unique=True)
    type = Varchar(length=80)
    booking = Integer(null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow())


class Refund(Table, tablename="refund"):
    """Money to give back, or given back: created in the transaction of what causes it (a
    cancellation, a payment that came too late), carried out by the worker through the SDK
    with an idempotency key of its own; refunds made in Stripe's dashboard are recorded too
    (`reason` external). `dedupe_key` ("booking:{id}" for ours, "stripe:{re_…}" for external
    ones) makes each real refund one row."""

    booking = ForeignKey(Booking, on_delete=OnDelete.restrict, index=True)
    amount_cents = Integer()
    currency = Varchar(length=3)
    reason = Varchar(length=24)  # participant_cancelled | booking_cancelled | session_cancelled | late_payment | external
    started_by = Varchar(length=12)  # participant | host | organizer | system | stripe
    status = Varchar(length=10, choices=RefundStatus)
    stripe_refund_id = Varchar(length=255, null=True, default=None, unique=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None, index=True)
    last_error = Text(default="")
    dedupe_key = Varchar(length=300, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
