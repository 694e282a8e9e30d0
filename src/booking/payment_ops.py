"""The payment side of the booking engine: operations for `store.run`, like `booking.ops`,
each in the session's serialised transaction (the session row locked, its lapsed holds settled
first), so a payment, a cancellation, an expiry and a promotion of one session never interleave.

- `record_checkout` / `release_hold`: after the service has asked Stripe for a Checkout Session
  (outside any transaction), the hold either gets it or gives its seat back.
- `apply_checkout`: a Checkout Session event, its facts re-read from Stripe. A payment confirms
  the hold; one that comes after the hold lapsed (or was cancelled) is confirmed if a seat is
  still free for it, else refunded in full; `expired` / `async_payment_failed` end the hold.
- `apply_refunds`: Stripe's refunds of a payment (ours, and any made in its dashboard).
- `refund_sent` / `refund_attempt_failed`: the worker's outcome of carrying out a refund.

The webhook's event id is claimed (unique index) in the same transaction as its effect, after
the session's lock (whose settling may already be kept): a delivery seen before changes nothing,
and an effect that fails leaves the event unclaimed, for Stripe to deliver again.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from booking import rules
from booking.ops import Unit, slot
from booking.payments import CheckoutSession, RefundFacts
from booking.repository import (
    CLAIM_EVENT,
    CONFIRM_PAID,
    EXPIRE_HOLD,
    EXTEND_HOLD,
    EXTERNAL_REFUND,
    FAIL_REFUND,
    FORGET_KEY_OF_BOOKING,
    PAYMENT_OF_BOOKING,
    RECORD_CHECKOUT,
    RECORD_PAYMENT,
    REFUND_BOOKING,
    REFUND_BY_ID,
    REFUND_BY_STRIPE_ID,
    REFUND_FAILED_ATTEMPT,
    RELEASE_HOLD,
    SET_PAYMENT_INTENT,
    SET_REFUND,
    SET_REFUND_AMOUNT,
    SET_REFUND_STATUS,
    SYNC_REFUNDED,
)
from booking.rules import BookingPolicy
from booking.schemas import BookingStatus, RefundStatus
from kernel.errors import DomainError
from kernel.events import BookingConfirmed, HoldExpired, RefundIssued
from kernel.sql import Tx, as_datetime

log = logging.getLogger("alveole.booking.payments")

COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"
CHECKOUT_EVENTS = (COMPLETED, ASYNC_SUCCEEDED, ASYNC_FAILED, EXPIRED)
REFUND_EVENTS = ("charge.refunded", "refund.created", "refund.updated")

# Stripe's refund statuses as ours
_REFUND_STATUS = {
    "succeeded": RefundStatus.succeeded, "pending": RefundStatus.requested,
    "requires_action": RefundStatus.requested, "failed": RefundStatus.failed, "canceled": RefundStatus.failed,
}


def refund_status(stripe_status: str) -> RefundStatus:
    return _REFUND_STATUS.get(stripe_status, RefundStatus.requested)


async def record_checkout(tx: Tx, *, booking_id: int, checkout_session_id: str, url: str,
                          now: dt.datetime) -> bool:
    """The hold's Checkout Session; False when the hold ended meanwhile or another request
    recorded its own first (the caller expires this one)."""
    return await tx.execute(RECORD_CHECKOUT, booking_id, checkout_session_id, url, now) == 1


async def release_hold(tx: Tx, *, booking_id: int, now: dt.datetime, policy: BookingPolicy) -> None:
    """Stripe failed while the hold was being opened: the seat goes back (to the waitlist
    first), silently (the participant is answered 503), and the request's Idempotency-Key is
    forgotten so that retrying it tries again. A hold another request has meanwhile given its
    Checkout Session (a double click) is kept."""
    row = await tx.one(PAYMENT_OF_BOOKING, booking_id)
    if row is None:
        return
    unit = Unit(tx, now, policy)
    locked = await unit.lock(row["session"])
    if await tx.execute(RELEASE_HOLD, booking_id, now):
        await tx.execute(FORGET_KEY_OF_BOOKING, booking_id)
        await unit.count(locked)
        await unit.promote(locked)
    await unit.flush()


async def extend_hold(tx: Tx, *, booking_id: int, until: dt.datetime, now: dt.datetime,
                      policy: BookingPolicy) -> dt.datetime | None:
    """The hold's end moved to `until` (see `checkout.open_checkout`); None when the hold is
    gone (lapsed, cancelled) — what it still is otherwise."""
    row = await tx.one(PAYMENT_OF_BOOKING, booking_id)
    if row is None:
        return None
    unit = Unit(tx, now, policy)
    await unit.lock(row["session"])  # settles it first: a lapsed hold is not revived here
    extended = await tx.one(EXTEND_HOLD, booking_id, until, now)
    await unit.flush()
    if extended is not None:
        return until
    row = await tx.one(PAYMENT_OF_BOOKING, booking_id)
    return as_datetime(row["hold_expires_at"]) if row["status"] == BookingStatus.pending_payment else None


def _matches(row: Any, checkout: CheckoutSession) -> bool:
    """The Checkout Session is this booking's — the one recorded for it, for its amount — or
    nothing is done (and the mismatch is logged for a person)."""
    return (row["checkout_session_id"] == checkout.id and checkout.amount_total == row["amount_cents"]
            and (checkout.currency or "").lower() == row["currency"])


async def apply_checkout(tx: Tx, *, event_id: str, event_type: str, booking_id: int,
                         checkout: CheckoutSession, now: dt.datetime, policy: BookingPolicy) -> str:
    """One Checkout Session event, acted on as the re-read Checkout Session says; returns what
    it did (logged and answered to Stripe)."""
    row = await tx.one(PAYMENT_OF_BOOKING, booking_id)
    if row is None:
        return "unknown-booking"
    unit = Unit(tx, now, policy)
    locked = await unit.lock(row["session"], row["user"])
    if await tx.one(CLAIM_EVENT, event_id, event_type, booking_id, now) is None:
        return "duplicate"
    row = await tx.one(PAYMENT_OF_BOOKING, booking_id)  # as it is now that the session is locked
    if not _matches(row, checkout):
        log.error("checkout %s does not match booking %s (session or amount): nothing done; "
                  "check it in Stripe's dashboard", checkout.id, booking_id)
        return "mismatch"
    paid = checkout.payment_status == "paid"
    if event_type in (COMPLETED, ASYNC_SUCCEEDED) and paid:
        outcome = await _paid(unit, locked, row, checkout)
    elif row["status"] == BookingStatus.pending_payment and not paid and (
            (event_type == EXPIRED and checkout.status == "expired") or event_type == ASYNC_FAILED):
        await tx.execute(EXPIRE_HOLD, booking_id, now)
        unit.events.append(HoldExpired(now, booking_id=booking_id, session_id=row["session"], user_id=row["user"]))
        await unit.count(locked)
        await unit.promote(locked)
        outcome = "expired"
    elif event_type == COMPLETED:
        outcome = "awaiting-payment"  # a delayed payment method: its async_payment_* event decides
    else:
        outcome = "nothing-to-do"
    await unit.flush()
    return outcome


async def _paid(unit: Unit, locked: Any, row: Any, checkout: CheckoutSession) -> str:
    tx, now = unit.tx, unit.now
    booking_id, status = row["id"], row["status"]
    await tx.execute(RECORD_PAYMENT, booking_id, checkout.id, checkout.payment_intent, now)
    if status == BookingStatus.confirmed:
        return "already-confirmed"
    if row["refunded_cents"] >= row["amount_cents"] > 0:
        # the payment was refunded in full (Stripe's dashboard) before its news reached us: the
        # hold ends and its seat goes back (no message: the participant has their money back)
        if status == BookingStatus.pending_payment:
            await tx.execute(EXPIRE_HOLD, booking_id, now)
            await unit.count(locked)
            await unit.promote(locked)
        return "refunded-before-completion"
    if status == BookingStatus.pending_payment:
        await _confirm(unit, row)
        return "confirmed"
    # the hold lapsed, or the booking was cancelled, before the money came
    facts = locked.facts
    if status == BookingStatus.expired and not (locked.has_booking or locked.has_entry) \
            and rules.seats_free(facts.capacity, locked.occupancy.taken) >= row["seats"] and _open(facts, now):
        await _confirm(unit, row)
        return "confirmed-late"
    if await tx.one(REFUND_BOOKING, booking_id, "late_payment", "system", now) is not None:
        await tx.execute(SET_REFUND_STATUS, booking_id, RefundStatus.pending.value)
    return "refunding-late-payment"


def _open(facts: Any, now: dt.datetime) -> bool:
    try:
        rules.ensure_open(facts, now)
    except DomainError:
        return False
    return True


async def _confirm(unit: Unit, row: Any) -> None:
    await unit.tx.execute(CONFIRM_PAID, row["id"], BookingStatus.confirmed.value,
                          slot(row["session"], row["user"]), unit.now)
    unit.events.append(BookingConfirmed(unit.now, booking_id=row["id"], session_id=row["session"],
                                        user_id=row["user"]))


async def apply_refunds(tx: Tx, *, event_id: str, event_type: str, booking_id: int, payment_intent: str,
                        refunds: list[RefundFacts], now: dt.datetime, policy: BookingPolicy) -> str:
    """Stripe's refunds of the booking's payment: ours get their status, any other (made in
    Stripe's dashboard) is recorded as external; the booking's refunded amount follows. Only a
    booking that had a Checkout Session, for this payment or none yet, is concerned."""
    row = await tx.one(PAYMENT_OF_BOOKING, booking_id)
    if row is None:
        return "unknown-booking"
    unit = Unit(tx, now, policy)
    await unit.lock(row["session"])
    if await tx.one(CLAIM_EVENT, event_id, event_type, booking_id, now) is None:
        return "duplicate"
    if row["checkout_session_id"] is None or row["payment_intent_id"] not in (None, payment_intent):
        log.error("payment %s is not booking %s's: its refunds are not recorded", payment_intent, booking_id)
        return "mismatch"
    await tx.execute(SET_PAYMENT_INTENT, booking_id, payment_intent, now)
    for refund in refunds:
        if refund.payment_intent not in (None, payment_intent):
            continue
        status = refund_status(refund.status)
        ours = await tx.one(REFUND_BY_ID, refund.refund_record) if refund.refund_record else None
        if ours is None or ours["booking"] != booking_id:
            ours = await tx.one(REFUND_BY_STRIPE_ID, refund.id)
        if ours is None:
            await tx.one(EXTERNAL_REFUND, booking_id, refund.amount, refund.currency.lower(), refund.id,
                         status.value, now)
            continue
        await _set_refund(unit, ours["id"], ours["status"], status, refund.id, row)
    await tx.execute(SYNC_REFUNDED, booking_id)
    await unit.flush()
    return "refunds-recorded"


async def _set_refund(unit: Unit, refund_id: int, before: str, status: RefundStatus, stripe_id: str,
                      booking: Any) -> None:
    if before in (RefundStatus.succeeded, RefundStatus.failed):
        return  # final already
    await unit.tx.execute(SET_REFUND, refund_id, status.value, stripe_id, unit.now)
    if status == RefundStatus.succeeded:
        refund = await unit.tx.one(REFUND_BY_ID, refund_id)
        unit.events.append(RefundIssued(unit.now, booking_id=booking["id"], user_id=booking["user"],
                                        amount_cents=refund["amount_cents"], currency=refund["currency"]))
    elif status == RefundStatus.failed:
        log.error("refund %s of booking %s failed at Stripe: a person must look", refund_id, booking["id"])


async def refund_sent(tx: Tx, *, refund_id: int, facts: RefundFacts, now: dt.datetime,
                      policy: BookingPolicy) -> None:
    """Stripe took the refund (`facts` is its answer); a success tells the participant."""
    refund = await tx.one(REFUND_BY_ID, refund_id)
    if refund is None:
        return
    booking = await tx.one(PAYMENT_OF_BOOKING, refund["booking"])
    unit = Unit(tx, now, policy)
    await unit.lock(booking["session"])
    refund = await tx.one(REFUND_BY_ID, refund_id)
    if refund["status"] in (RefundStatus.pending, RefundStatus.requested) and facts.amount != refund["amount_cents"]:
        await tx.execute(SET_REFUND_AMOUNT, refund_id, facts.amount)  # what was left at Stripe
    await _set_refund(unit, refund_id, refund["status"], refund_status(facts.status), facts.id, booking)
    await tx.execute(SYNC_REFUNDED, booking["id"])
    await unit.flush()


async def refund_attempt_failed(tx: Tx, *, refund_id: int, error: str, next_attempt_at: dt.datetime | None,
                                now: dt.datetime) -> None:
    """Stripe did not take the refund: tried again at `next_attempt_at` (None: Stripe refused
    the request itself, or nothing is left to refund there, so it is marked failed for a
    person to look at). Only a refund still pending changes."""
    if next_attempt_at is None:
        if await tx.execute(FAIL_REFUND, refund_id, error[:500], now):
            refund = await tx.one(REFUND_BY_ID, refund_id)
            await tx.execute(SYNC_REFUNDED, refund["booking"])
            log.error("refund %s of booking %s failed: %s", refund_id, refund["booking"], error)
        return
    await tx.execute(REFUND_FAILED_ATTEMPT, refund_id, error[:500], next_attempt_at, now)
