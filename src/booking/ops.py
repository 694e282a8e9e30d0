"""The booking engine's transactional operations, written once for SQLite and PostgreSQL.

Each public function here is an operation for `store.run` (bind its arguments with
`functools.partial`): it locks the session row it touches (PostgreSQL `FOR UPDATE`; on SQLite
the writer holds the database's write lock), *settles* the session (marks holds and offers
past their deadline expired and promotes the waitlist), counts seats from the rows
themselves, asks `rules`, writes, and emits its events as outbox rows in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, replace
from typing import Any

from accounts import quotas
from accounts.repository import IS_ORGANIZER, IS_RELAY
from booking import rules
from booking.errors import AlreadyBooked, IdempotencyKeyReused, OfferExpiredError, StoreUnavailable
from booking.repository import (
    CANCEL_BOOKING,
    CANCEL_SESSION_BOOKINGS,
    CLAIM_KEY,
    CLOSE_ENTRY,
    CONFIRM_HOLD,
    CONFIRMED_BOOKING_IDS,
    COUNT_STANDBY,
    ERASE_GUESTS,
    ERASE_STANDBY_NAMES,
    EXPIRE_HOLDS,
    EXPIRE_OFFERS,
    INSERT_BOOKING,
    INSERT_ENTRY,
    INSERT_GUEST_BOOKING,
    INSERT_STANDBY,
    KEY_BOOKED,
    LOCK_AND_COUNT,
    OCCUPANCY,
    OFFER_ENTRY,
    PURGE_KEYS,
    REFUND_BOOKING,
    REFUND_SESSION_BOOKINGS,
    RELEASE_NO_SHOWS,
    SELECT_BOOKING,
    SELECT_ENTRY,
    SELECT_KEY,
    SERVE_STANDBY,
    SET_REFUND_STATUS,
    USER_ACTIVE_BOOKINGS,
    USER_ACTIVE_ENTRIES,
    WAITING_STANDBY,
    WAITING_THAT_FIT,
    WITHDRAW_SESSION_ENTRIES,
)
from booking.rules import BookingPolicy, Occupancy, SessionFacts, WaitingEntry
from booking.schemas import (
    Attendance,
    Booking,
    BookingSource,
    BookingStatus,
    GuestView,
    RefundStatus,
    WaitlistStatus,
)
from kernel.errors import Forbidden, InvalidState, NotFound
from kernel.events import (
    BookingCancelled,
    BookingConfirmed,
    BookingPendingPayment,
    BookingReleased,
    DomainEvent,
    HoldExpired,
    OfferExpired,
    SessionCancelled,
    SessionUpdated,
    WaitlistJoined,
    WaitlistOffered,
)
from kernel.sql import Tx, UniqueViolation, as_datetime
from workshops import rules as workshop_rules
from workshops.enums import SessionStatus
from workshops.repository import CANCEL_SESSION, CHANGE_SESSION, lock_session

LOCK_SESSION = lock_session()

def slot(session_id: int, user_id: int) -> str:
    """The value of `active_slot` while a booking or entry is active: one per participant."""
    return f"{session_id}:{user_id}"


def new_checkin_code() -> str:
    """`ABCD-EFGH-JKMN-PQRS`: 16 characters of Crockford's base32 from `secrets` (80 random
    bits, no personal data), easy to read out and to type at the door; the QR code holds it as is."""
    alphabet = rules.CODE_ALPHABET
    return rules.format_checkin_code("".join(secrets.choice(alphabet) for _ in range(
        rules.CODE_GROUPS * rules.CODE_GROUP_LENGTH)))


def booking_from_row(row: Any) -> Booking:
    return Booking(
        id=row["id"], session_id=row["session"], user_id=row["user"], seats=row["seats"],
        status=row["status"], attendance=row["attendance"], amount_cents=row["amount_cents"],
        currency=row["currency"], late_cancellation=bool(row["late_cancellation"]),
        checkin_code=row["checkin_code"], created_at=as_datetime(row["created_at"]),
        checkout_url=row["checkout_url"] if row["status"] == BookingStatus.pending_payment else None,
        hold_expires_at=as_datetime(row["hold_expires_at"]),
        refund_status=row["refund_status"], refunded_cents=row["refunded_cents"] or 0,
        source=row["source"], booked_by=row["booked_by"] if row["source"] != BookingSource.self_ else None,
        guest=GuestView(name=row["guest_name"], phone=row["guest_phone"], note=row["guest_note"])
        if row["user"] is None else None,
    )


def facts_from_row(row: Any) -> SessionFacts:
    return SessionFacts(
        id=row["id"], workshop_id=row["workshop"], host_id=row["host"], community_id=row["community"],
        starts_at=as_datetime(row["starts_at"]), ends_at=as_datetime(row["ends_at"]),
        timezone=row["timezone"], capacity=row["capacity"], status=row["status"],
        sequence=row["sequence"], workshop_status=row["workshop_status"], payment=row["payment"],
        price_cents=row["price_cents"], currency=row["currency"],
        max_seats_per_booking=row["max_seats_per_booking"],
        waitlist_enabled=bool(row["waitlist_enabled"]), waitlist_mode=row["waitlist_mode"],
        offer_ttl_minutes=row["offer_ttl_minutes"],
        cancellation_deadline_hours=row["cancellation_deadline_hours"],
    )


def occupancy_from_row(row: Any) -> Occupancy:
    """A session's seats from the `repository.seat_counts` columns."""
    return Occupancy(booked=row["booked"], offered=row["offered"], waiting=row["waiting"], due=row["due"])


# -------------------------------------------------------------------------- the unit of work

@dataclass
class Locked:
    """A session locked in this transaction, with its seats as last counted."""

    facts: SessionFacts
    occupancy: Occupancy
    has_booking: bool = False  # the asking participant holds an active booking
    has_entry: bool = False  # ... or an active waitlist entry


@dataclass(frozen=True)
class SessionState:
    """What an operation on a session answers: the session and its seats after the change."""

    facts: SessionFacts
    occupancy: Occupancy


class Unit:
    """One operation's transaction, clock reading, policy and the events it collects."""

    __slots__ = ("events", "now", "policy", "tx")

    def __init__(self, tx: Tx, now: dt.datetime, policy: BookingPolicy) -> None:
        self.tx = tx
        self.now = now
        self.policy = policy
        self.events: list[DomainEvent] = []

    async def lock(self, session_id: int, user_id: int | None = None) -> Locked:
        """Lock the session, settle it, and count its seats (and the participant's slot)."""
        if self.tx.postgres:
            row = await self.tx.one(LOCK_SESSION, session_id)
            if row is None:
                raise NotFound("no such session")
            locked = Locked(facts_from_row(row), Occupancy())
            await self.count(locked, user_id)
        else:
            row = await self.tx.one(LOCK_AND_COUNT, session_id, self.now,
                                    slot(session_id, user_id) if user_id else "")
            if row is None:
                raise NotFound("no such session")
            locked = Locked(facts_from_row(row), Occupancy())
            self._counted(locked, row)
        occupancy = locked.occupancy
        if occupancy.due or (occupancy.waiting and rules.seats_free(locked.facts.capacity, occupancy.taken)):
            await self.settle(locked, user_id)
            if self.events:  # something changed: it stands even if this operation is refused
                await self.flush()
                await self.tx.keep()
        return locked

    async def count(self, locked: Locked, user_id: int | None = None) -> None:
        row = await self.tx.one(OCCUPANCY, locked.facts.id, self.now,
                                slot(locked.facts.id, user_id) if user_id else "")
        self._counted(locked, row)

    @staticmethod
    def _counted(locked: Locked, row: Any) -> None:
        locked.occupancy = occupancy_from_row(row)
        locked.has_booking, locked.has_entry = bool(row["has_booking"]), bool(row["has_entry"])

    async def settle(self, locked: Locked, user_id: int | None = None) -> int:
        """Mark holds and offers past their deadline expired, then promote; how many expired."""
        expired = 0
        if locked.occupancy.due:
            session_id = locked.facts.id
            for row in await self.tx.all(EXPIRE_HOLDS, session_id, self.now):
                self.events.append(HoldExpired(self.now, booking_id=row["id"], session_id=session_id,
                                               user_id=row["user"]))
                expired += 1
            for row in await self.tx.all(EXPIRE_OFFERS, session_id, self.now):
                self.events.append(OfferExpired(self.now, entry_id=row["id"], session_id=session_id,
                                                user_id=row["user"]))
                expired += 1
        if expired:  # the seats were not counted any more, but the participants' slots are free now
            await self.count(locked, user_id)
        await self.promote(locked, user_id)
        return expired

    async def promote(self, locked: Locked, user_id: int | None = None) -> None:
        """Serve the waitlist into the free seats (rules.next_waitlist_entries), then recount."""
        facts = locked.facts
        free = rules.seats_free(facts.capacity, locked.occupancy.taken)
        kind = rules.promotion_kind(facts, self.policy)
        if not (free and locked.occupancy.waiting and kind and rules.may_promote(facts, self.now)):
            return
        rows = await self.tx.all(WAITING_THAT_FIT, facts.id, free)
        chosen = rules.next_waitlist_entries([WaitingEntry(r["id"], r["user"], r["seats"]) for r in rows], free)
        for entry in chosen:
            if kind == "offer":
                expires = rules.offer_expiry(facts, self.now)
                await self.tx.execute(OFFER_ENTRY, entry.id, expires, self.now)
                self.events.append(WaitlistOffered(self.now, entry_id=entry.id, session_id=facts.id,
                                                   user_id=entry.user_id, offer_expires_at=expires))
            else:
                booking = await self.insert_booking(facts, entry.user_id, entry.seats, entry_id=entry.id)
                await self.tx.execute(CLOSE_ENTRY, entry.id, WaitlistStatus.booked.value, booking.id, self.now)
        if chosen:
            await self.count(locked, user_id)

    async def insert_booking(self, facts: SessionFacts, user_id: int, seats: int,
                             entry_id: int | None = None) -> Booking:
        new = rules.new_booking(facts, seats, self.now, self.policy)
        code = new_checkin_code()
        try:  # statuses go to SQL as `.value`: sqlite3 binds an exact str without an adapter lookup
            row = await self.tx.one(
                INSERT_BOOKING, facts.id, user_id, seats, new.status.value, new.amount_cents, new.currency,
                new.hold_expires_at, code, slot(facts.id, user_id), entry_id, self.now)
        except UniqueViolation as exc:
            if "active_slot" in exc.detail:
                raise AlreadyBooked("you already hold a booking for this session") from None
            raise
        booking = Booking(
            id=row["id"], session_id=facts.id, user_id=user_id, seats=seats, status=new.status,
            attendance=Attendance.unknown, amount_cents=new.amount_cents, currency=new.currency,
            late_cancellation=False, checkin_code=code, created_at=self.now,
            hold_expires_at=new.hold_expires_at, source=BookingSource.self_,
        )
        if new.status == BookingStatus.confirmed:
            self.events.append(BookingConfirmed(self.now, booking_id=booking.id, session_id=facts.id,
                                                user_id=user_id, via_waitlist=entry_id is not None))
        else:
            self.events.append(BookingPendingPayment(
                self.now, booking_id=booking.id, session_id=facts.id, user_id=user_id,
                checkout_url="", hold_expires_at=new.hold_expires_at))
        return booking

    async def insert_guest_booking(self, facts: SessionFacts, *, booked_by: int, seats: int, source: BookingSource,
                                   name: str | None, phone: str | None = None, note: str | None = None,
                                   attendance: Attendance = Attendance.unknown) -> Booking:
        """A booking for someone without an account (`user` NULL): the one who made it
        (`booked_by`) is told what the participant would be. Confirmed at once, paid on site."""
        new = rules.new_guest_booking(facts, seats)
        code = new_checkin_code()
        row = await self.tx.one(
            INSERT_GUEST_BOOKING, facts.id, seats, new.status.value, attendance.value, new.amount_cents,
            new.currency, code, booked_by, source.value, name, phone, note, self.now)
        return Booking(
            id=row["id"], session_id=facts.id, user_id=None, seats=seats, status=new.status,
            attendance=attendance, amount_cents=new.amount_cents, currency=new.currency,
            late_cancellation=False, checkin_code=code, created_at=self.now, source=source,
            booked_by=booked_by, guest=GuestView(name=name, phone=phone, note=note),
        )

    async def ensure_manager(self, facts: SessionFacts, actor_id: int, actor_is_admin: bool) -> str:
        """The host, an organizer of the community or an admin (the door's operations)."""
        organizer = actor_id != facts.host_id and await self.is_organizer(facts.community_id, actor_id)
        return rules.manager_role(actor_id, facts.host_id, organizer, actor_is_admin)

    async def cancel(self, locked: Locked, booking_id: int, status: str, by: str, late: bool = False,
                     user_id: int = 0) -> None:
        rules.ensure_cancellable(status, locked.facts, self.now)
        await self.tx.execute(CANCEL_BOOKING, booking_id, late, self.now, by)
        if not late:  # a paid booking gets its money back (a late cancellation does not)
            reason = "participant_cancelled" if by == "participant" else "booking_cancelled"
            if await self.tx.one(REFUND_BOOKING, booking_id, reason, by, self.now) is not None:
                await self.tx.execute(SET_REFUND_STATUS, booking_id, RefundStatus.pending.value)
        self.events.append(BookingCancelled(self.now, booking_id=booking_id, session_id=locked.facts.id,
                                            user_id=user_id, by=by, late=late))

    async def ensure_visible(self, facts: SessionFacts, user_id: int, is_admin: bool) -> None:
        """Whoever may not see the workshop is told the session does not exist (404), not that
        booking is closed (409): that would reveal a draft (workshops.rules.may_view)."""
        if workshop_rules.may_view(facts.workshop_status, is_host=facts.host_id == user_id,
                                   is_admin=is_admin, is_organizer=False):
            return
        if not await self.is_organizer(facts.community_id, user_id):
            raise NotFound("no such session")

    async def is_relay(self, community_id: int, user_id: int) -> bool:
        return await self.tx.one(IS_RELAY, community_id, user_id) is not None

    async def is_organizer(self, community_id: int, user_id: int) -> bool:
        return await self.tx.one(IS_ORGANIZER, community_id, user_id) is not None

    async def flush(self) -> None:
        if self.events:
            await self.tx.emit(self.events, self.now)
            self.events = []


# ------------------------------------------------------------------------------ operations

@dataclass(frozen=True)
class IdempotencyClaim:
    user_key: str  # "user_id:key"
    request_hash: str


async def _take_key(tx: Tx, claim: IdempotencyClaim | None, now: dt.datetime) -> tuple[int | None, Booking | None]:
    """(the claimed key's id, None) for a first request, (None, the first booking) for a replay,
    (None, None) without a key. Called after the session lock: a concurrent retry waits for it,
    then finds the key."""
    if claim is None:
        return None, None
    claimed = await tx.one(CLAIM_KEY, claim.user_key, claim.request_hash, now)
    prior = None
    if claimed is None:
        prior = await tx.one(SELECT_KEY, claim.user_key)
        if prior is None:  # purged between the two statements (24 h old): claim it afresh
            claimed = await tx.one(CLAIM_KEY, claim.user_key, claim.request_hash, now)
    if claimed is None:
        if prior is None:
            raise StoreUnavailable("the Idempotency-Key changed hands meanwhile; retry")
        if prior["request_hash"] != claim.request_hash:
            raise IdempotencyKeyReused("this Idempotency-Key was used for another request")
        return None, booking_from_row(await tx.one(SELECT_BOOKING, prior["booking_id"]))
    return claimed["id"], None


async def book_seats(tx: Tx, *, session_id: int, user_id: int, seats: int, now: dt.datetime,
                     policy: BookingPolicy, claim: IdempotencyClaim | None = None,
                     viewer_is_admin: bool = False, quotas_on: bool = False) -> tuple[Booking, bool]:
    """Book `seats` for a participant; with a claim, a replay answers the first booking.
    Returns (booking, created). With `quotas_on`, a new booking counts in the user's quota."""
    unit = Unit(tx, now, policy)
    locked = await unit.lock(session_id, user_id)
    await unit.ensure_visible(locked.facts, user_id, viewer_is_admin)
    key_id, replayed = await _take_key(tx, claim, now)
    if replayed is not None:
        return replayed, False
    facts = locked.facts
    rules.check_seats(seats, facts.max_seats_per_booking)
    rules.ensure_open(facts, now)
    if locked.has_booking:  # a double click on "pay": the hold already made, and its Checkout Session
        for held in await tx.all(USER_ACTIVE_BOOKINGS, session_id, user_id):
            booking = booking_from_row(await tx.one(SELECT_BOOKING, held["id"]))
            if booking.status == BookingStatus.pending_payment and booking.seats == seats:
                if key_id is not None:
                    await tx.execute(KEY_BOOKED, key_id, booking.id)
                return booking, False
    rules.ensure_not_booked(locked.has_booking, locked.has_entry)
    rules.new_booking(facts, seats, now, policy)  # refuses what cannot be paid before "full"
    rules.ensure_room(facts.capacity, locked.occupancy.taken, seats)
    await quotas.spend(tx, user_id=user_id, action=quotas.BOOKING, now=now, enabled=quotas_on)
    booking = await unit.insert_booking(facts, user_id, seats)
    if key_id is not None:
        await tx.execute(KEY_BOOKED, key_id, booking.id)
    await unit.flush()
    return booking, True


async def book_for_guest(tx: Tx, *, session_id: int, actor_id: int, seats: int, name: str,
                         phone: str | None, note: str | None, now: dt.datetime, policy: BookingPolicy,
                         claim: IdempotencyClaim | None = None, actor_is_admin: bool = False,
                         quotas_on: bool = False) -> tuple[Booking, bool]:
    """A relay of the community, the host or an organizer books for a neighbour without an
    account: the same capacity rule, free and on-site workshops only; the one who booked is told.
    Returns (booking, created): with a claim, a replay (a double-submitted desk form, a retried
    request) answers the first booking."""
    unit = Unit(tx, now, policy)
    locked = await unit.lock(session_id)
    await unit.ensure_visible(locked.facts, actor_id, actor_is_admin)
    facts = locked.facts
    if not (actor_id == facts.host_id or actor_is_admin or await unit.is_organizer(facts.community_id, actor_id)
            or await unit.is_relay(facts.community_id, actor_id)):
        raise Forbidden("only a relay of this community, the host or an organizer may book for a neighbour")
    key_id, replayed = await _take_key(tx, claim, now)
    if replayed is not None:
        return replayed, False
    rules.check_seats(seats, facts.max_seats_per_booking)
    rules.ensure_open(facts, now)
    rules.ensure_guest_payment(facts)
    rules.ensure_room(facts.capacity, locked.occupancy.taken, seats)
    await quotas.spend(tx, user_id=actor_id, action=quotas.BOOKING, now=now, enabled=quotas_on)
    booking = await unit.insert_guest_booking(facts, booked_by=actor_id, seats=seats, source=BookingSource.relay,
                                              name=name, phone=phone, note=note)
    if key_id is not None:
        await tx.execute(KEY_BOOKED, key_id, booking.id)
    unit.events.append(BookingConfirmed(now, booking_id=booking.id, session_id=facts.id, user_id=actor_id))
    await unit.flush()
    return booking, True


async def add_walk_in(tx: Tx, *, session_id: int, actor_id: int, name: str | None, seats: int,
                      now: dt.datetime, policy: BookingPolicy, actor_is_admin: bool = False) -> Booking:
    """The host or an organizer lets someone in at the door (from an hour before the start to
    the end): a booking counted against capacity, attended at once."""
    unit = Unit(tx, now, policy)
    locked = await unit.lock(session_id)
    await unit.ensure_visible(locked.facts, actor_id, actor_is_admin)
    facts = locked.facts
    await unit.ensure_manager(facts, actor_id, actor_is_admin)
    rules.ensure_door_open(facts, now)
    rules.ensure_room(facts.capacity, locked.occupancy.taken, seats)
    booking = await unit.insert_guest_booking(facts, booked_by=actor_id, seats=seats, source=BookingSource.walk_in,
                                              name=name, attendance=Attendance.attended)
    await unit.flush()
    return booking


async def add_standby(tx: Tx, *, session_id: int, actor_id: int, name: str | None, seats: int,
                      now: dt.datetime, policy: BookingPolicy, actor_is_admin: bool = False) -> tuple[int, int]:
    """Someone waits at the door of a full session; returns (entry id, position)."""
    unit = Unit(tx, now, policy)
    locked = await unit.lock(session_id)
    await unit.ensure_visible(locked.facts, actor_id, actor_is_admin)
    facts = locked.facts
    await unit.ensure_manager(facts, actor_id, actor_is_admin)
    rules.ensure_door_open(facts, now)
    if seats > facts.capacity:
        raise rules.invalid_seats(f"the session has {facts.capacity} seats")
    rules.ensure_full_for_standby(facts.capacity, locked.occupancy.taken, seats)
    waiting = (await tx.one(COUNT_STANDBY, session_id))["n"]
    row = await tx.one(INSERT_STANDBY, session_id, name, seats, actor_id, now)
    await unit.flush()
    return row["id"], waiting + 1


async def release_no_shows(tx: Tx, *, session_id: int, actor_id: int, now: dt.datetime, policy: BookingPolicy,
                           release_after: dt.timedelta, actor_is_admin: bool = False) -> tuple[int, list[int]]:
    """From start + `release_after`: free and on-site bookings not checked in are released
    (no-shows, their seats free) and the standby list is served in order, each entry becoming
    an attended booking; paid-online bookings are never released. Returns (seats released,
    standby entries served)."""
    unit = Unit(tx, now, policy)
    locked = await unit.lock(session_id)
    await unit.ensure_visible(locked.facts, actor_id, actor_is_admin)
    facts = locked.facts
    await unit.ensure_manager(facts, actor_id, actor_is_admin)
    rules.ensure_release_time(facts, now, release_after)
    released = 0
    if facts.payment != "stripe":
        for row in await tx.all(RELEASE_NO_SHOWS, session_id, now):
            released += row["seats"]
            told = row["user"] if row["user"] is not None else row["booked_by"]
            unit.events.append(BookingReleased(now, booking_id=row["id"], session_id=session_id, user_id=told))
    await unit.count(locked)
    free = rules.seats_free(facts.capacity, locked.occupancy.taken)
    rows = {r["id"]: r for r in await tx.all(WAITING_STANDBY, session_id)}
    waiting = [WaitingEntry(r["id"], 0, r["seats"]) for r in rows.values()]
    served: list[int] = []
    for entry in rules.next_waitlist_entries(waiting, free):  # in order; a big party keeps its place
        booking = await unit.insert_guest_booking(
            facts, booked_by=actor_id, seats=entry.seats, source=BookingSource.standby,
            name=rows[entry.id]["name"], attendance=Attendance.attended)
        await tx.execute(SERVE_STANDBY, entry.id, booking.id)
        served.append(entry.id)
    await unit.flush()
    return released, served


async def cancel_booking(tx: Tx, *, booking_id: int, actor_id: int, now: dt.datetime,
                         policy: BookingPolicy) -> Booking:
    """Cancel one booking (by its participant, the host or an organizer of the community),
    free its seats and promote the waitlist."""
    unit = Unit(tx, now, policy)
    row = await tx.one(SELECT_BOOKING, booking_id)
    if row is None:
        raise NotFound("no such booking")
    locked = await unit.lock(row["session"])
    facts = locked.facts
    row = await tx.one(SELECT_BOOKING, booking_id)  # as it is now that the session is locked
    # a neighbour's booking: the relay who made it acts for its participant, and is told
    participant = row["user"] if row["user"] is not None else row["booked_by"]
    organizer = actor_id not in (participant, facts.host_id) and await unit.is_organizer(
        facts.community_id, actor_id)
    by = rules.cancellation_role(actor_id, participant, facts.host_id, organizer)
    if by is None:
        raise Forbidden("only the participant, the host or an organizer may cancel this booking")
    late = by == "participant" and rules.is_late_cancellation(
        facts.starts_at, facts.cancellation_deadline_hours, now)
    await unit.cancel(locked, booking_id, row["status"], by, late, participant)
    await unit.count(locked)
    await unit.promote(locked)
    await unit.flush()
    return booking_from_row(await tx.one(SELECT_BOOKING, booking_id))


async def confirm_hold(tx: Tx, *, booking_id: int, now: dt.datetime, policy: BookingPolicy) -> Booking:
    """A payment hold becomes a confirmed booking (what a payment webhook will call).
    A hold already past its deadline is expired here first: 409 invalid-state."""
    unit = Unit(tx, now, policy)
    row = await tx.one(SELECT_BOOKING, booking_id)
    if row is None:
        raise NotFound("no such booking")
    session_id = row["session"]
    await unit.lock(session_id)
    row = await tx.one(SELECT_BOOKING, booking_id)  # as it is now that the session is locked
    if row["status"] != BookingStatus.pending_payment:
        raise InvalidState(f"a {row['status']} booking cannot be confirmed")
    await tx.execute(CONFIRM_HOLD, booking_id, now)
    unit.events.append(BookingConfirmed(now, booking_id=booking_id, session_id=session_id,
                                        user_id=row["user"]))
    await unit.flush()
    return booking_from_row(await tx.one(SELECT_BOOKING, booking_id))


async def join_waitlist(tx: Tx, *, session_id: int, user_id: int, seats: int, now: dt.datetime,
                        policy: BookingPolicy, viewer_is_admin: bool = False,
                        quotas_on: bool = False) -> tuple[int, int]:
    """Queue a participant for `seats`; returns (entry id, position). With `quotas_on`, the
    join counts in the user's booking quota."""
    unit = Unit(tx, now, policy)
    locked = await unit.lock(session_id, user_id)
    await unit.ensure_visible(locked.facts, user_id, viewer_is_admin)
    facts = locked.facts
    rules.check_seats(seats, facts.max_seats_per_booking)
    rules.ensure_open(facts, now)
    rules.ensure_may_join_waitlist(facts, locked.occupancy, seats)
    rules.ensure_not_booked(locked.has_booking, locked.has_entry)
    await quotas.spend(tx, user_id=user_id, action=quotas.BOOKING, now=now, enabled=quotas_on)
    try:
        row = await tx.one(INSERT_ENTRY, session_id, user_id, seats, slot(session_id, user_id), now)
    except UniqueViolation:
        raise AlreadyBooked("you are already on the waitlist of this session") from None
    # the session is locked: no entry of this session can have a higher id yet
    position = locked.occupancy.waiting + 1
    unit.events.append(WaitlistJoined(now, entry_id=row["id"], session_id=session_id, user_id=user_id,
                                      position=position))
    await unit.flush()
    return row["id"], position


async def _own_entry(tx: Tx, entry_id: int, user_id: int) -> Any:
    entry = await tx.one(SELECT_ENTRY, entry_id)
    if entry is None:
        raise NotFound("no such waitlist entry")
    if entry["user"] != user_id:
        raise Forbidden("this is not your waitlist entry")
    return entry


async def leave_waitlist(tx: Tx, *, entry_id: int, user_id: int, now: dt.datetime,
                         policy: BookingPolicy) -> None:
    """Withdraw an entry; an open offer's seats go to the next in line."""
    unit = Unit(tx, now, policy)
    entry = await _own_entry(tx, entry_id, user_id)
    locked = await unit.lock(entry["session"])
    entry = await tx.one(SELECT_ENTRY, entry_id)  # as it is now that the session is locked
    if entry["status"] not in rules.ACTIVE_ENTRY:
        raise InvalidState(f"this entry is {entry['status']}")
    await tx.execute(CLOSE_ENTRY, entry_id, WaitlistStatus.withdrawn.value, None, now)
    if entry["status"] == WaitlistStatus.offered:
        await unit.count(locked)
        await unit.promote(locked)
    await unit.flush()


async def accept_offer(tx: Tx, *, entry_id: int, user_id: int, now: dt.datetime,
                       policy: BookingPolicy) -> Booking:
    """Turn an open offer into a booking of the seats it held."""
    unit = Unit(tx, now, policy)
    entry = await _own_entry(tx, entry_id, user_id)
    locked = await unit.lock(entry["session"])
    entry = await tx.one(SELECT_ENTRY, entry_id)
    if entry["status"] == WaitlistStatus.expired:
        raise OfferExpiredError("the offer has expired; join the waitlist again if seats are still wanted")
    if entry["status"] != WaitlistStatus.offered:
        raise InvalidState(f"this entry is {entry['status']}, not offered")
    rules.ensure_open(locked.facts, now)
    # the offer's seats were counted as taken: turning them into a booking needs no room check
    booking = await unit.insert_booking(locked.facts, user_id, entry["seats"], entry_id=entry_id)
    await tx.execute(CLOSE_ENTRY, entry_id, WaitlistStatus.booked.value, booking.id, now)
    await unit.flush()
    return booking


async def settle_session(tx: Tx, *, session_id: int, now: dt.datetime, policy: BookingPolicy) -> int:
    """Expire what is due in one session and promote its waitlist (the worker's jobs)."""
    unit = Unit(tx, now, policy)
    row = await tx.one(LOCK_SESSION, session_id)
    if row is None:
        return 0
    locked = Locked(facts_from_row(row), Occupancy())
    await unit.count(locked)
    expired = await unit.settle(locked)
    await unit.flush()
    return expired


async def change_session(tx: Tx, *, session_id: int, actor_id: int, now: dt.datetime,
                         policy: BookingPolicy, starts_at: dt.datetime | None = None,
                         ends_at: dt.datetime | None = None, timezone: str | None = None,
                         capacity: int | None = None, quotas_on: bool = False) -> SessionState:
    """The host changes a session's times, zone or capacity (None = unchanged). New times bump
    `sequence` and tell the confirmed participants (with `quotas_on`, counted in the host's
    quota of session changes); a larger capacity promotes the waitlist."""
    unit = Unit(tx, now, policy)
    locked = await unit.lock(session_id)
    old = locked.facts
    rules.session_manager_role(actor_id, old.host_id, False, organizers_too=False)
    rules.ensure_session_changeable(old, now)
    new_starts, new_ends = rules.session_times(old, starts_at, ends_at, timezone, now)
    if capacity is not None:
        rules.ensure_capacity(capacity, locked.occupancy)
    new = replace(old, starts_at=new_starts, ends_at=new_ends, timezone=timezone or old.timezone,
                  capacity=old.capacity if capacity is None else capacity)
    moved = (new.starts_at, new.ends_at) != (old.starts_at, old.ends_at)
    if moved:
        await quotas.spend(tx, user_id=actor_id, action=quotas.SESSION_CHANGED, now=now, enabled=quotas_on)
        new = replace(new, sequence=old.sequence + 1)
    await tx.execute(CHANGE_SESSION, session_id, new.starts_at, new.ends_at, new.timezone, new.capacity,
                     new.sequence, now)
    locked.facts = new
    if moved:
        ids = tuple(r["id"] for r in await tx.all(CONFIRMED_BOOKING_IDS, session_id))
        unit.events.append(SessionUpdated(now, session_id=session_id, sequence=new.sequence,
                                          booking_ids=ids))
    if new.capacity > old.capacity:
        await unit.promote(locked)
    await unit.flush()
    return SessionState(locked.facts, locked.occupancy)


async def cancel_session(tx: Tx, *, session_id: int, actor_id: int, reason: str, now: dt.datetime,
                         policy: BookingPolicy) -> SessionState:
    """Cancel a session (its host or an organizer of the community): every active booking
    cancelled, every waitlist entry withdrawn, one SessionCancelled event."""
    unit = Unit(tx, now, policy)
    locked = await unit.lock(session_id)
    facts = locked.facts
    organizer = actor_id != facts.host_id and await unit.is_organizer(facts.community_id, actor_id)
    by = rules.session_manager_role(actor_id, facts.host_id, organizer, organizers_too=True)
    rules.ensure_session_cancellable(locked.facts, now)
    ids = tuple(r["id"] for r in await tx.all(CANCEL_SESSION_BOOKINGS, session_id, now, by))
    for refunded in await tx.all(REFUND_SESSION_BOOKINGS, session_id, now, by):  # every paid seat
        await tx.execute(SET_REFUND_STATUS, refunded["booking"], RefundStatus.pending.value)
    entries = tuple(r["id"] for r in await tx.all(WITHDRAW_SESSION_ENTRIES, session_id, now))
    sequence = locked.facts.sequence + 1
    await tx.execute(CANCEL_SESSION, session_id, sequence, reason, now)
    unit.events.append(SessionCancelled(now, session_id=session_id, sequence=sequence, reason=reason,
                                        booking_ids=ids, waitlist_entry_ids=entries))
    locked.facts = replace(locked.facts, status=SessionStatus.cancelled, sequence=sequence)
    await unit.count(locked)
    await unit.flush()
    return SessionState(locked.facts, locked.occupancy)


async def release_user_in_session(tx: Tx, *, session_id: int, user_id: int, now: dt.datetime,
                                  policy: BookingPolicy) -> int:
    """Account deletion: cancel the user's booking of an upcoming session (by 'system'),
    withdraw their entry; the freed seats go to the waitlist. Returns how many were released."""
    unit = Unit(tx, now, policy)
    locked = await unit.lock(session_id)
    released = 0
    if not rules.has_started(locked.facts, now):
        for row in await tx.all(USER_ACTIVE_BOOKINGS, session_id, user_id):
            await unit.cancel(locked, row["id"], BookingStatus.confirmed, "system", user_id=user_id)
            released += 1
    for row in await tx.all(USER_ACTIVE_ENTRIES, session_id, user_id):
        await tx.execute(CLOSE_ENTRY, row["id"], WaitlistStatus.withdrawn.value, None, now)
        released += 1
    if released:
        await unit.count(locked)
        await unit.promote(locked)
    await unit.flush()
    return released


async def erase_guests(tx: Tx, *, ended_before: dt.datetime) -> int:
    """Forget the names, phones and notes of people without an account (and of the standby
    list) of the sessions ended before `ended_before`; the bookings stay for the counts."""
    erased = await tx.execute(ERASE_GUESTS, ended_before)
    await tx.execute(ERASE_STANDBY_NAMES, ended_before)
    return erased


async def purge_idempotency_keys(tx: Tx, *, before: dt.datetime) -> int:
    return await tx.execute(PURGE_KEYS, before)


async def purge_quota_events(tx: Tx, *, now: dt.datetime) -> int:
    """Forget the quota events no window counts any more."""
    return await quotas.purge(tx, now=now)
