"""Booking use cases: what the API, the worker and account deletion call.

Every change runs as an operation of `booking.ops` through the process's booking store (one
serialised transaction with its outbox rows); reads are `booking.repository`'s.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from msgspec import UNSET

from accounts.auth import CurrentUser, is_organizer_of
from accounts.service import require_verified
from booking import checkout, ops, repository, rules
from booking.rules import BookingPolicy
from booking.schemas import (
    Booking,
    BookingList,
    DoorCreate,
    Guest,
    PlaceInSession,
    ReleaseResult,
    SessionChange,
    StandbyEntryView,
    WaitlistEntry,
    WaitlistList,
    WaitlistStatus,
)
from booking.store import run
from kernel.errors import Forbidden, NotFound, ValidationFailed
from kernel.ids import MAX_ID, is_id
from kernel.phones import normalise_phone
from kernel.runtime import Runtime
from kernel.sql import as_datetime
from workshops.schemas import Session


def policy_of(runtime: Runtime) -> BookingPolicy:
    """How `stripe` bookings are held: `booking.checkout.payment_policy`."""
    return checkout.payment_policy(runtime)


def ensure_id(value: int, what: str) -> int:
    """Path ids beyond PostgreSQL's 32-bit serials name nothing: 404, not a driver error."""
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"no such {what}")
    return value


def _claim(user_id: int, key: str | None, session_id: int, seats: int,
           extra: str = "") -> ops.IdempotencyClaim | None:
    if key is None:
        return None
    if not 1 <= len(key) <= rules.IDEMPOTENCY_KEY_MAX or not key.isprintable():
        message = f"1 to {rules.IDEMPOTENCY_KEY_MAX} printable characters"
        raise ValidationFailed(f"Idempotency-Key: {message}",
                               errors=[{"field": "Idempotency-Key", "message": message, "source": "header"}])
    digest = hashlib.sha256(f"{session_id}:{seats}{':' + extra if extra else ''}".encode()).hexdigest()
    return ops.IdempotencyClaim(user_key=f"{user_id}:{key}", request_hash=digest)


# ---------------------------------------------------------------------------------- bookings

async def book(runtime: Runtime, user: CurrentUser, session_id: int, seats: int,
               idempotency_key: str | None = None) -> tuple[Booking, bool]:
    """Book seats; returns (booking, created) — created is False for a replayed key. An
    unverified address → 403 `email-not-verified` (the booking would mail it)."""
    require_verified(user)
    ensure_id(session_id, "session")
    booking, created = await run(runtime, partial(
        ops.book_seats, session_id=session_id, user_id=user.id, seats=seats, now=runtime.clock.now(),
        policy=policy_of(runtime), claim=_claim(user.id, idempotency_key, session_id, seats),
        viewer_is_admin=user.is_admin, quotas_on=runtime.settings.rate_limits))
    return await checkout.open_checkout(runtime, booking), created


async def book_for_guest(runtime: Runtime, user: CurrentUser, session_id: int, seats: int,
                         guest: Guest, idempotency_key: str | None = None) -> tuple[Booking, bool]:
    """A relay of the community, the host or an organizer books for a neighbour without an
    account (`ops.book_for_guest`); a phone is kept in E.164 (400 naming `guest.phone`).
    Returns (booking, created); an `Idempotency-Key` replayed with the same body answers the
    first booking."""
    require_verified(user)
    ensure_id(session_id, "session")
    name = guest.name.strip()
    errors = []
    if not name or "\x00" in name:
        errors.append({"field": "guest.name", "message": "the neighbour's name is required"})
    phone = None
    if guest.phone is not None and guest.phone.strip():
        phone = normalise_phone(guest.phone.strip())
        if phone is None:
            errors.append({"field": "guest.phone", "message": "not a phone number"})
    note = (guest.note or "").strip() or None
    if note is not None and "\x00" in note:
        errors.append({"field": "guest.note", "message": "no NUL characters"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    claim = _claim(user.id, idempotency_key, session_id, seats, f"guest:{name}:{phone}:{note}")
    return await run(runtime, partial(
        ops.book_for_guest, session_id=session_id, actor_id=user.id, seats=seats, name=name, phone=phone,
        note=note, now=runtime.clock.now(), policy=policy_of(runtime), claim=claim,
        actor_is_admin=user.is_admin, quotas_on=runtime.settings.rate_limits))


async def neighbours_bookings(user: CurrentUser) -> list[Any]:
    """The bookings the user made for neighbours (as a relay, host or organizer), with their
    sessions and workshops: the latest sessions first."""
    return await repository.neighbours_bookings(user.id)


def _door_name(name: str | None) -> str | None:
    name = (name or "").strip()
    if "\x00" in name:
        raise ValidationFailed("name: no NUL characters", errors=[{"field": "name", "message": "no NUL characters"}])
    return name or None


async def add_walk_in(runtime: Runtime, user: CurrentUser, session_id: int, data: DoorCreate) -> Booking:
    ensure_id(session_id, "session")
    return await run(runtime, partial(
        ops.add_walk_in, session_id=session_id, actor_id=user.id, name=_door_name(data.name), seats=data.seats,
        now=runtime.clock.now(), policy=policy_of(runtime), actor_is_admin=user.is_admin))


async def add_standby(runtime: Runtime, user: CurrentUser, session_id: int, data: DoorCreate) -> StandbyEntryView:
    ensure_id(session_id, "session")
    name = _door_name(data.name)
    entry_id, position = await run(runtime, partial(
        ops.add_standby, session_id=session_id, actor_id=user.id, name=name, seats=data.seats,
        now=runtime.clock.now(), policy=policy_of(runtime), actor_is_admin=user.is_admin))
    return StandbyEntryView(id=entry_id, position=position, seats=data.seats, name=name)


async def release_no_shows(runtime: Runtime, user: CurrentUser, session_id: int) -> ReleaseResult:
    ensure_id(session_id, "session")
    released, served = await run(runtime, partial(
        ops.release_no_shows, session_id=session_id, actor_id=user.id, now=runtime.clock.now(),
        policy=policy_of(runtime), release_after=runtime.settings.noshow_release, actor_is_admin=user.is_admin))
    return ReleaseResult(released_seats=released, served=served)


async def cancel_booking(runtime: Runtime, user: CurrentUser, booking_id: int) -> Booking:
    ensure_id(booking_id, "booking")
    booking = await run(runtime, partial(ops.cancel_booking, booking_id=booking_id, actor_id=user.id,
                                         now=runtime.clock.now(), policy=policy_of(runtime)))
    if runtime.settings.payments_configured and booking.amount_cents and booking.refund_status is None:
        # perhaps a hold: its Checkout Session closes
        payment = await repository.payment_of_booking(booking_id)
        if payment is not None and payment["payment_intent_id"] is None:
            await checkout.forget_checkout(runtime, payment["checkout_session_id"])
    return booking


async def get_booking(runtime: Runtime, user: CurrentUser, booking_id: int) -> Booking:
    """Its participant, the workshop's host and the community's organizers may read a booking;
    anyone else gets 403, and 404 only when no such booking exists (ids are sequential: that a
    number exists is no secret)."""
    ensure_id(booking_id, "booking")
    row = await repository.booking_with_parties(booking_id)
    if row is None:
        raise NotFound("no such booking")
    if (user.id not in (row["user"], row["host"], row["booked_by"])
            and not await is_organizer_of(user, row["community"])):
        raise Forbidden("only the participant, the host or an organizer may see this booking")
    return ops.booking_from_row(row)


async def my_bookings(runtime: Runtime, user: CurrentUser, limit: int, offset: int) -> BookingList:
    rows, total = await repository.bookings_of_user(user.id, limit, offset)
    return BookingList(items=[ops.booking_from_row(r) for r in rows], total=total)


# ---------------------------------------------------------------------------------- waitlist

async def join_waitlist(runtime: Runtime, user: CurrentUser, session_id: int, seats: int) -> WaitlistEntry:
    require_verified(user)
    ensure_id(session_id, "session")
    entry_id, position = await run(runtime, partial(
        ops.join_waitlist, session_id=session_id, user_id=user.id, seats=seats,
        now=runtime.clock.now(), policy=policy_of(runtime), viewer_is_admin=user.is_admin,
        quotas_on=runtime.settings.rate_limits))
    return WaitlistEntry(id=entry_id, session_id=session_id, seats=seats, status=WaitlistStatus.waiting,
                         position=position)


async def leave_waitlist(runtime: Runtime, user: CurrentUser, entry_id: int) -> None:
    ensure_id(entry_id, "waitlist entry")
    await run(runtime, partial(ops.leave_waitlist, entry_id=entry_id, user_id=user.id,
                               now=runtime.clock.now(), policy=policy_of(runtime)))


async def accept_offer(runtime: Runtime, user: CurrentUser, entry_id: int) -> Booking:
    ensure_id(entry_id, "waitlist entry")
    booking = await run(runtime, partial(ops.accept_offer, entry_id=entry_id, user_id=user.id,
                                         now=runtime.clock.now(), policy=policy_of(runtime)))
    return await checkout.open_checkout(runtime, booking, release_on_failure=False)


def _entry_from_row(row: Any) -> WaitlistEntry:
    return WaitlistEntry(
        id=row["id"], session_id=row["session"], seats=row["seats"], status=row["status"],
        position=row["position"], offer_expires_at=as_datetime(row["offer_expires_at"])
        if row["status"] == WaitlistStatus.offered else None, booking_id=row["booking_id"],
    )


async def my_waitlist(runtime: Runtime, user: CurrentUser, limit: int, offset: int) -> WaitlistList:
    """The user's entries, newest first, with their places in line."""
    rows, total = await repository.entries_of_user(user.id, limit, offset)
    return WaitlistList(items=[_entry_from_row(r) for r in rows], total=total)


async def places_in_sessions(user: CurrentUser, session_ids: Sequence[int]) -> dict[int, PlaceInSession]:
    """The user's active booking or waitlist entry of each of these sessions (by session id),
    in one query whatever their number (a workshop's page)."""
    rows = await repository.places_of_user(user.id, sorted(set(session_ids)))
    places: dict[int, PlaceInSession] = {}
    for row in rows:
        place = PlaceInSession(kind=row["kind"], id=row["id"], session_id=row["session"], seats=row["seats"],
                               status=row["status"], position=row["position"],
                               offer_expires_at=as_datetime(row["offer_expires_at"]))
        if place.kind == "booking" or place.session_id not in places:  # a booking outranks an entry
            places[place.session_id] = place
    return places


async def my_waitlist_entry(runtime: Runtime, user: CurrentUser, entry_id: int) -> WaitlistEntry:
    """One of the user's own entries (an offer's page); NotFound for anyone else's."""
    row = await repository.entry_of_user(user.id, entry_id) if is_id(entry_id) else None
    if row is None:
        raise NotFound(f"No waitlist entry {entry_id}.")
    return _entry_from_row(row)


# ---------------------------------------------------------------------------------- sessions

def session_view(state: ops.SessionState) -> Session:
    facts, occupancy = state.facts, state.occupancy
    zone = ZoneInfo(facts.timezone)
    return Session(
        id=facts.id, workshop_id=facts.workshop_id, starts_at=facts.starts_at.astimezone(zone),
        ends_at=facts.ends_at.astimezone(zone), timezone=facts.timezone, capacity=facts.capacity,
        seats_taken=occupancy.taken, seats_left=rules.seats_free(facts.capacity, occupancy.taken),
        waitlist_length=occupancy.waiting, status=facts.status, sequence=facts.sequence,
    )


def _given(value: Any) -> Any:
    return None if value is UNSET else value


async def change_session(runtime: Runtime, user: CurrentUser, session_id: int, change: SessionChange) -> Session:
    ensure_id(session_id, "session")
    state = await run(runtime, partial(
        ops.change_session, session_id=session_id, actor_id=user.id, now=runtime.clock.now(),
        policy=policy_of(runtime), starts_at=_given(change.starts_at), ends_at=_given(change.ends_at),
        timezone=_given(change.timezone), capacity=_given(change.capacity),
        quotas_on=runtime.settings.rate_limits))
    return session_view(state)


async def cancel_session(runtime: Runtime, user: CurrentUser, session_id: int, reason: str) -> Session:
    ensure_id(session_id, "session")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("reason: give a reason", errors=[{"field": "reason", "message": "give a reason"}])
    now = runtime.clock.now()
    state = await run(runtime, partial(
        ops.cancel_session, session_id=session_id, actor_id=user.id, reason=reason,
        now=now, policy=policy_of(runtime)))
    if runtime.settings.payments_configured:  # unpaid holds: their Checkout pages stop taking money
        for checkout_session_id in await repository.cancelled_checkouts(session_id, now):
            await checkout.forget_checkout(runtime, checkout_session_id)
    return session_view(state)


# --------------------------------------------------------------------- worker and accounts

async def _settle_sessions(runtime: Runtime, due: Callable[[dt.datetime], Awaitable[list[int]]],
                           policy: BookingPolicy | None) -> int:
    now = runtime.clock.now()
    expired = 0
    for session_id in await due(now):  # one short transaction per session
        expired += await run(runtime, partial(ops.settle_session, session_id=session_id, now=now,
                                              policy=policy or policy_of(runtime)))
    return expired


async def expire_holds(runtime: Runtime, policy: BookingPolicy | None = None) -> int:
    """Payment holds past their deadline: expired, HoldExpired sent, the waitlist promoted."""
    return await _settle_sessions(runtime, repository.sessions_with_lapsed_holds, policy)


async def expire_offers(runtime: Runtime, policy: BookingPolicy | None = None) -> int:
    """Waitlist offers past their deadline: expired, OfferExpired sent, the next one served."""
    return await _settle_sessions(runtime, repository.sessions_with_lapsed_offers, policy)


async def purge_idempotency_keys(runtime: Runtime) -> int:
    before = runtime.clock.now() - rules.IDEMPOTENCY_KEY_TTL
    return await run(runtime, partial(ops.purge_idempotency_keys, before=before))


GUESTS_KEPT_FOR = dt.timedelta(days=30)


async def erase_guests(runtime: Runtime) -> int:
    """Neighbours' names and phones are erased 30 days after their session (counts stay)."""
    return await run(runtime, partial(ops.erase_guests, ended_before=runtime.clock.now() - GUESTS_KEPT_FOR))


async def purge_quota_events(runtime: Runtime) -> int:
    return await run(runtime, partial(ops.purge_quota_events, now=runtime.clock.now()))


async def release_user(runtime: Runtime, user_id: int) -> int:
    """Account deletion: cancel the user's bookings of upcoming sessions and withdraw their
    waitlist entries, promoting each waitlist. Returns how many bookings and entries."""
    now = runtime.clock.now()
    released = 0
    for session_id in await repository.sessions_to_release(user_id, now):
        released += await run(runtime, partial(ops.release_user_in_session, session_id=session_id,
                                               user_id=user_id, now=now, policy=policy_of(runtime)))
    return released


async def booking_with_parties(booking_id: int) -> Any:
    """The booking's row with its `session`, `host` and `community` ids, or None (the roster
    page checks that a marked booking is of the session in its path)."""
    return await repository.booking_with_parties(booking_id)
