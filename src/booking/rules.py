"""Pure decisions of the booking engine: is there room, is it closed, is it late, who is next.

No I/O and no await: the store's operations read rows, ask these functions, then write.

Waitlist promotion (the exact rule): when seats are free, `waiting` entries are served first
come, first served by entry id. Each entry that fits in the seats still free is served (and
uses them up); an entry too big for what is left is skipped *for now* and keeps its place,
so a later, smaller entry may be served before it. Nothing is promoted once the session has
started, is cancelled, or its workshop is not published. In `auto` mode a served entry is
booked at once (a payment hold for `stripe`); in `offer` mode its seats are held for
`offer_ttl_minutes` while the participant decides.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from booking.errors import (
    AlreadyBooked,
    BookingClosed,
    CapacityBelowBookings,
    MarksOnCancelledSession,
    PaymentsNotConfigured,
    SessionFull,
    WaitlistDisabled,
)
from booking.schemas import Attendance, BookingStatus, WaitlistStatus
from kernel.errors import Forbidden, InvalidState, ValidationFailed
from workshops.enums import Payment, SessionStatus, WaitlistMode, WorkshopStatus
from workshops.rules import validate_session_times, zone

ACTIVE_BOOKING = (BookingStatus.pending_payment, BookingStatus.confirmed)  # they hold seats
ACTIVE_ENTRY = (WaitlistStatus.waiting, WaitlistStatus.offered)  # still in line
# ids are 32-bit serials on PostgreSQL: a bigger number names nothing
IDEMPOTENCY_KEY_TTL = dt.timedelta(hours=24)
IDEMPOTENCY_KEY_MAX = 200


@dataclass(frozen=True)
class SessionFacts:
    """A session with what the booking rules need of its workshop."""

    id: int
    workshop_id: int
    host_id: int
    community_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str
    capacity: int
    status: str  # scheduled | cancelled
    sequence: int
    workshop_status: str
    payment: str  # free | on_site | stripe
    price_cents: int
    currency: str
    max_seats_per_booking: int
    waitlist_enabled: bool
    waitlist_mode: str  # auto | offer
    offer_ttl_minutes: int
    cancellation_deadline_hours: int


@dataclass(frozen=True)
class Occupancy:
    """Seats of a session counted from the rows at one instant."""

    booked: int = 0  # confirmed + unexpired payment holds
    offered: int = 0  # held for unexpired waitlist offers
    waiting: int = 0  # number of `waiting` entries
    due: int = 0  # holds and offers past their deadline, not yet marked expired

    @property
    def taken(self) -> int:
        return self.booked + self.offered


@dataclass(frozen=True)
class BookingPolicy:
    """How bookings of `stripe` workshops are held: None = online payment unavailable."""

    payment_hold: dt.timedelta | None = None


@dataclass(frozen=True)
class NewBooking:
    status: BookingStatus
    amount_cents: int
    currency: str
    hold_expires_at: dt.datetime | None


@dataclass(frozen=True)
class WaitingEntry:
    id: int
    user_id: int
    seats: int


def seats_free(capacity: int, taken: int) -> int:
    return max(0, capacity - taken)


def invalid_seats(message: str) -> ValidationFailed:
    return ValidationFailed(f"seats: {message}", errors=[{"field": "seats", "message": message}])


def check_seats(seats: int, max_per_booking: int) -> None:
    if not 1 <= seats <= max_per_booking:
        raise invalid_seats(f"between 1 and {max_per_booking} seats per booking")


def has_started(session: SessionFacts, now: dt.datetime) -> bool:
    return now >= session.starts_at


def closed_reason(session: SessionFacts, now: dt.datetime) -> str | None:
    """Why nobody may book (or join the waitlist of) this session now, or None."""
    if session.status == SessionStatus.cancelled:
        return "the session is cancelled"
    if session.workshop_status != WorkshopStatus.published:
        return "the workshop is not published"
    if has_started(session, now):
        return "the session has started"
    return None


def ensure_open(session: SessionFacts, now: dt.datetime) -> None:
    reason = closed_reason(session, now)
    if reason:
        raise BookingClosed(reason)


def ensure_not_booked(has_booking: bool, has_entry: bool) -> None:
    if has_booking:
        raise AlreadyBooked("you already hold a booking for this session")
    if has_entry:
        raise AlreadyBooked("you are on the waitlist of this session; accept its offer or leave it first")


def new_booking(session: SessionFacts, seats: int, now: dt.datetime, policy: BookingPolicy) -> NewBooking:
    """Free and on-site bookings are confirmed at once; online payment opens a hold."""
    if session.payment == Payment.free:
        return NewBooking(BookingStatus.confirmed, 0, session.currency, None)
    amount = session.price_cents * seats
    if session.payment == Payment.on_site:
        return NewBooking(BookingStatus.confirmed, amount, session.currency, None)
    if policy.payment_hold is None:
        raise PaymentsNotConfigured("this workshop is paid online, which this server cannot take yet")
    return NewBooking(BookingStatus.pending_payment, amount, session.currency, now + policy.payment_hold)


def new_guest_booking(session: SessionFacts, seats: int) -> NewBooking:
    """A booking made for someone without an account (by a relay, or at the door: walk-in,
    standby) is confirmed at once, whatever the workshop's payment: there is no one to send to a
    checkout, so it never holds seats as `pending_payment` (a hold without a deadline would take
    no seat and never lapse). What it costs is collected on site (relays cannot book online-paid
    workshops: `ensure_guest_payment`)."""
    amount = 0 if session.payment == Payment.free else session.price_cents * seats
    return NewBooking(BookingStatus.confirmed, amount, session.currency, None)


def ensure_room(capacity: int, taken: int, seats: int) -> None:
    free = seats_free(capacity, taken)
    if seats > free:
        raise SessionFull(f"{free} seat(s) left" if free else "no seats left", seats_left=free)


def is_late_cancellation(starts_at: dt.datetime, deadline_hours: int, now: dt.datetime) -> bool:
    return now >= starts_at - dt.timedelta(hours=deadline_hours)


def cancellation_role(user_id: int, participant_id: int, host_id: int, is_organizer: bool) -> str | None:
    """Who `user_id` is to a booking: participant, host or organizer (in that order), or None."""
    if user_id == participant_id:
        return "participant"
    if user_id == host_id:
        return "host"
    if is_organizer:
        return "organizer"
    return None


def session_manager_role(user_id: int, host_id: int, is_organizer: bool, *, organizers_too: bool) -> str:
    """Who may change (host) or cancel (host, organizer) a session; anyone else is refused."""
    if user_id == host_id:
        return "host"
    if organizers_too and is_organizer:
        return "organizer"
    raise Forbidden("only the workshop's host" + (" or an organizer of its community" if organizers_too else "")
                    + " may do this")


def ensure_cancellable(status: str, session: SessionFacts, now: dt.datetime) -> None:
    if status not in ACTIVE_BOOKING:
        raise InvalidState(f"a {status} booking cannot be cancelled")
    if has_started(session, now):
        raise BookingClosed("the session has started")


def ensure_may_join_waitlist(session: SessionFacts, occupancy: Occupancy, seats: int) -> None:
    """Checked after `ensure_open` and the seat count: disabled, then 'book instead'."""
    if not session.waitlist_enabled:
        raise WaitlistDisabled()
    if seats > session.capacity:
        raise invalid_seats(f"the session has {session.capacity} seats")
    if seats_free(session.capacity, occupancy.taken) >= seats:
        raise InvalidState("seats are available, book instead", seats_left=seats_free(
            session.capacity, occupancy.taken))


def may_promote(session: SessionFacts, now: dt.datetime) -> bool:
    return closed_reason(session, now) is None


def next_waitlist_entries(entries: Iterable[WaitingEntry], free_seats: int) -> list[WaitingEntry]:
    """The entries to serve, in order (see the module docstring for the rule)."""
    chosen: list[WaitingEntry] = []
    for entry in sorted(entries, key=lambda e: e.id):
        if free_seats <= 0:
            break
        if entry.seats <= free_seats:
            chosen.append(entry)
            free_seats -= entry.seats
    return chosen


def promotion_kind(session: SessionFacts, policy: BookingPolicy) -> str | None:
    """How a served entry is promoted: 'offer', 'book' (confirmed or a payment hold), or None
    when it cannot be (a `stripe` workshop while online payment is unavailable)."""
    if session.waitlist_mode == WaitlistMode.offer:
        return "offer"
    if session.payment == Payment.stripe and policy.payment_hold is None:
        return None
    return "book"


def offer_expiry(session: SessionFacts, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(minutes=session.offer_ttl_minutes)


def ensure_session_changeable(session: SessionFacts, now: dt.datetime) -> None:
    if session.status == SessionStatus.cancelled:
        raise InvalidState("the session is cancelled")
    if has_started(session, now):
        raise InvalidState("the session has started")


def session_times(session: SessionFacts, starts_at: dt.datetime | None, ends_at: dt.datetime | None,
                  timezone: str | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The session's times after a change (None = unchanged), in UTC; naive values are read in
    the (new) timezone. Checked by the workshops rules: end after start, start in the future."""
    zone_name = timezone or session.timezone
    if timezone is not None:
        zone(timezone)
    if starts_at is None and ends_at is None:
        return session.starts_at, session.ends_at
    return validate_session_times(starts_at or session.starts_at, ends_at or session.ends_at, zone_name, now)


def ensure_capacity(capacity: int, occupancy: Occupancy) -> None:
    if capacity < occupancy.taken:
        raise CapacityBelowBookings(
            f"{occupancy.taken} seat(s) are taken; the capacity cannot go below that",
            seats_taken=occupancy.taken)


def ensure_session_cancellable(session: SessionFacts, now: dt.datetime) -> None:
    if session.status == SessionStatus.cancelled:
        raise InvalidState("the session is already cancelled")
    if now >= session.ends_at:
        raise InvalidState("the session has ended")



# ------------------------------------------------- attendance, check-in and feedback (issue 10)

RATINGS_SHOWN_FROM = 3  # the public average of a workshop or host appears from this many ratings
CHECKIN_OPENS_BEFORE_START = dt.timedelta(hours=1)
MARKS_CLOSE_AFTER_END = dt.timedelta(days=7)
FEEDBACK_CLOSES_AFTER_END = dt.timedelta(days=30)
# Crockford's base32: no I, L, O or U, so a code read aloud or typed is hard to get wrong
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS, CODE_GROUP_LENGTH = 4, 4  # 16 characters: 80 random bits
_CODE_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def format_checkin_code(characters: str) -> str:
    """`ABCD-EFGH-JKMN-PQRS`: the stored (and printed) form of a check-in code."""
    size = CODE_GROUP_LENGTH
    return "-".join(characters[i:i + size] for i in range(0, len(characters), size))


def normalise_checkin_code(typed: str) -> str | None:
    """The stored form of a code as a host typed it (any case, spaces or dashes, O for 0, I or
    L for 1), or None when it cannot be one of ours (it may still be an older code, compared
    as given). A scanned check-in link (`…/checkin/{booking}/{code}`) counts as its code."""
    typed = typed.strip().rstrip("/").rsplit("/", 1)[-1]
    characters = "".join(typed.split()).replace("-", "").upper().translate(_CODE_READS_AS)
    if len(characters) != CODE_GROUPS * CODE_GROUP_LENGTH or any(c not in CODE_ALPHABET for c in characters):
        return None
    return format_checkin_code(characters)


def manager_role(user_id: int, host_id: int, is_organizer: bool, is_admin: bool) -> str:
    """Who may see a roster, mark attendance and read feedback: the host, an organizer of the
    community, an admin; anyone else is refused (403)."""
    if user_id == host_id:
        return "host"
    if is_organizer:
        return "organizer"
    if is_admin:
        return "admin"
    raise Forbidden("only the workshop's host or an organizer of its community may do this")


def ensure_marks_open(session: SessionFacts, now: dt.datetime) -> None:
    """Attendance may be marked from 1 h before the start until 7 days after the end."""
    if session.status == SessionStatus.cancelled:
        raise MarksOnCancelledSession("the session is cancelled")
    opens = session.starts_at - CHECKIN_OPENS_BEFORE_START
    closes = session.ends_at + MARKS_CLOSE_AFTER_END
    if now < opens:
        raise InvalidState("check-in opens 1 hour before the session starts", opens_at=opens.isoformat())
    if now > closes:
        raise InvalidState("attendance can be marked until 7 days after the session ended",
                           closed_at=closes.isoformat())


def ensure_markable(status: str) -> None:
    """Only a confirmed booking is marked (a payment hold is not a seat yet)."""
    if status == BookingStatus.pending_payment:
        raise InvalidState("this booking is waiting for its payment")
    if status != BookingStatus.confirmed:
        raise InvalidState(f"a {status} booking cannot be marked")


def feedback_closes_at(ends_at: dt.datetime) -> dt.datetime:
    return ends_at + FEEDBACK_CLOSES_AFTER_END


def ensure_may_give_feedback(*, user_id: int, participant_id: int, host_id: int, status: str,
                             attendance: str) -> None:
    """Only the booking's participant, with a confirmed booking not marked no-show; the host of
    the workshop never rates it (403)."""
    if user_id != participant_id:
        raise Forbidden("only the booking's participant may give feedback")
    if user_id == host_id:
        raise Forbidden("the host cannot rate their own workshop")
    if status != BookingStatus.confirmed:
        raise Forbidden(f"a {status} booking cannot be rated")
    if attendance == Attendance.no_show:
        raise Forbidden("this booking was marked as a no-show")


def ensure_feedback_window(ends_at: dt.datetime, now: dt.datetime, *, exists: bool) -> None:
    """From the session's end until 30 days after (409 feedback-not-open before, 409
    feedback-exists once given, 409 invalid-state after)."""
    from booking.errors import FeedbackExists, FeedbackNotOpen

    if now < ends_at:
        raise FeedbackNotOpen("feedback opens when the session ends", opens_at=ends_at.isoformat())
    if exists:
        raise FeedbackExists("feedback was already given for this booking")
    if now > feedback_closes_at(ends_at):
        raise InvalidState("feedback closed 30 days after the session ended")


def clean_comment(comment: str) -> str:
    """A comment is plain text: surrounding blanks trimmed, line breaks and tabs kept, other
    control characters refused (400)."""
    text = comment.strip()
    if any((ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127 for c in text):
        raise ValidationFailed("comment: control characters are not allowed",
                               errors=[{"field": "comment", "message": "control characters are not allowed"}])
    return text.replace("\r\n", "\n")


# ------------------------------------------------------------- the door and the desk (issue 22)

WALK_IN_OPENS_BEFORE = dt.timedelta(hours=1)


def ensure_guest_payment(session: SessionFacts) -> None:
    """A neighbour without an account books free and on-site workshops only (nobody could pay
    online for them)."""
    if session.payment == Payment.stripe:
        raise InvalidState("a neighbour's booking is for free and on-site workshops only")


def ensure_door_open(session: SessionFacts, now: dt.datetime) -> None:
    """Walk-ins and standby: from an hour before the start to the end, of a published session
    not cancelled."""
    if session.status == SessionStatus.cancelled:
        raise BookingClosed("the session is cancelled")
    if session.workshop_status != WorkshopStatus.published:
        raise BookingClosed("the workshop is not published")
    if not session.starts_at - WALK_IN_OPENS_BEFORE <= now <= session.ends_at:
        raise InvalidState("the door opens an hour before the start and closes at the end")


def ensure_full_for_standby(capacity: int, taken: int, seats: int) -> None:
    if seats <= seats_free(capacity, taken):
        raise InvalidState("there are seats free: add a walk-in instead")


def ensure_release_time(session: SessionFacts, now: dt.datetime, release_after: dt.timedelta) -> None:
    """No-shows' seats go to the standby list from start + ALVEOLE_NOSHOW_RELEASE_MINUTES (and
    before the end), never before."""
    if session.status == SessionStatus.cancelled:
        raise InvalidState("the session is cancelled")
    if now < session.starts_at + release_after:
        minutes = int(release_after.total_seconds() // 60)
        raise InvalidState(f"no-shows may be released from {minutes} minutes after the start")
    if now > session.ends_at:
        raise InvalidState("the session has ended")
