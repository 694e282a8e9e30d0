"""Payment use cases: opening a hold's Stripe Checkout Session, the Stripe webhook, and the
worker's refunds. Stripe is only ever called here, and never inside the booking store's
serialised transaction: hold the seat (one transaction), call Stripe, then record what it
said (another transaction) — a slow Stripe delays only the people paying, not the engine.
"""
from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

import msgspec

from accounts.auth import CurrentUser
from booking import ops, payment_ops, repository
from booking.errors import InvalidSignature, PaymentProviderUnavailable, PaymentRequestRefused
from booking.payment_ops import refund_status
from booking.payments import BOOKING_KEY, CheckoutSession, gateway, verify_webhook
from booking.rules import BookingPolicy
from booking.schemas import Booking, BookingStatus, RefundStatus
from booking.store import run
from kernel.errors import ValidationFailed
from kernel.runtime import Runtime
from kernel.sql import as_datetime

log = logging.getLogger("alveole.booking.payments")
# A Checkout Session cannot expire sooner than 30 minutes after Stripe receives the request.
# The hold is HOLD_MARGIN longer than ALVEOLE_PAYMENT_HOLD_MINUTES and its Checkout Session
# closes PAY_GRACE before the hold ends: Stripe's minimum is met despite the call's latency,
# and a payment made in the Checkout page's last second, whose webhook comes a moment later,
# still finds its seat held.
HOLD_MARGIN = dt.timedelta(minutes=5)
PAY_GRACE = dt.timedelta(minutes=4)
STRIPE_SHORTEST = dt.timedelta(minutes=30)
REFUNDS_PER_RUN = 20
RETRY_FIRST, RETRY_MOST = dt.timedelta(minutes=1), dt.timedelta(hours=6)


def payment_policy(runtime: Runtime) -> BookingPolicy:
    """Holds for `stripe` workshops when Stripe is configured, else none (409 payments-not-configured)."""
    settings = runtime.settings
    if not settings.payments_configured:
        return BookingPolicy(payment_hold=None)
    return BookingPolicy(payment_hold=settings.payment_hold + HOLD_MARGIN)


def return_urls(base_url: str) -> tuple[str, str]:
    """Where Stripe sends the participant back: my bookings, with a notice."""
    return f"{base_url}/me/bookings?payment=done", f"{base_url}/me/bookings?payment=cancelled"


def _checkout_params(facts: Any, base_url: str, hold_end: dt.datetime) -> dict[str, Any]:
    """What the participant pays is what the hold says (price × seats when it was made: the
    host may change the price since)."""
    success, cancel = return_urls(base_url)
    booking_id = str(facts["b_id"])
    return {
        "mode": "payment",
        "line_items": [{"quantity": facts["b_seats"], "price_data": {
            "currency": facts["b_currency"], "unit_amount": facts["b_amount_cents"] // facts["b_seats"],
            "product_data": {"name": facts["w_title"][:250]}}}],
        "customer_email": facts["p_email"],
        "locale": "fr" if str(facts["p_locale"]).startswith("fr") else "en",
        "client_reference_id": booking_id,
        "metadata": {BOOKING_KEY: booking_id, "alveole_session_id": str(facts["s_id"])},
        "payment_intent_data": {"metadata": {BOOKING_KEY: booking_id}},
        "expires_at": int((hold_end - PAY_GRACE).timestamp()),
        "success_url": success,
        "cancel_url": cancel,
    }


async def open_checkout(runtime: Runtime, booking: Booking, *, release_on_failure: bool = True) -> Booking:
    """A payment hold's Checkout Session (the one it has, or a new one): the booking answered
    with `checkout_url`. Stripe failing or too slow answers 503 and — for a booking just made
    (`release_on_failure`) — releases the hold; a hold the waitlist gave (an accepted offer,
    a promotion's payment link) is kept until its end, so the place in line is not lost."""
    if booking.status != BookingStatus.pending_payment or booking.checkout_url:
        return booking
    facts = await repository.checkout_facts(booking.id)
    if facts is None or facts["b_status"] != BookingStatus.pending_payment:
        return booking
    if facts["b_checkout_url"]:
        return msgspec.structs.replace(booking, checkout_url=facts["b_checkout_url"])
    settings, policy, now = runtime.settings, payment_policy(runtime), runtime.clock.now()
    hold_end = as_datetime(facts["b_hold_expires_at"])
    assert hold_end is not None
    shortest = now + STRIPE_SHORTEST + HOLD_MARGIN
    if hold_end < shortest:  # a hold opened a while ago (the waitlist's): Stripe needs 30 min ahead
        hold_end = await run(runtime, partial(payment_ops.extend_hold, booking_id=booking.id, until=shortest,
                                              now=now, policy=policy))
        if hold_end is None:
            return await _as_now(booking.id, booking)
    try:
        checkout = await gateway(settings).create_checkout(
            _checkout_params(facts, settings.base_url, hold_end), idempotency_key=checkout_key(booking.id, now))
        if not checkout.url:
            raise PaymentProviderUnavailable("Stripe answered without a payment page")
    except PaymentProviderUnavailable:
        if release_on_failure:  # (not a hold another request has meanwhile given its Checkout Session)
            await run(runtime, partial(payment_ops.release_hold, booking_id=booking.id,
                                       now=runtime.clock.now(), policy=policy))
        raise
    recorded = await run(runtime, partial(payment_ops.record_checkout, booking_id=booking.id,
                                          checkout_session_id=checkout.id, url=checkout.url,
                                          now=runtime.clock.now()))
    if not recorded:  # the hold ended, or another request's Checkout Session is the hold's
        await gateway(settings).expire_checkout(checkout.id)
        return await _as_now(booking.id, booking)
    return msgspec.structs.replace(booking, checkout_url=checkout.url, hold_expires_at=hold_end)


def checkout_key(booking_id: int, now: dt.datetime) -> str:
    """The idempotency key of a booking's Checkout Session request, for the current minute: a
    double click (or a retried request) gets the same Checkout Session; a retry a minute after
    a failure asks anew (Stripe answers a key's failure again for a day). Should two Checkout
    Sessions be made all the same, only the first recorded is the hold's, the other is expired."""
    return f"alveole-checkout-{booking_id}-{int(now.timestamp()) // 60}"


async def _as_now(booking_id: int, fallback: Booking) -> Booking:
    row = await repository.booking_with_parties(booking_id)
    return ops.booking_from_row(row) if row is not None else fallback


async def checkout_for_participant(runtime: Runtime, user: CurrentUser, booking_id: int) -> Booking | None:
    """The payment page of the user's own open hold (the emailed payment link), or None."""
    row = await repository.booking_with_parties(booking_id)
    if row is None or row["user"] != user.id or row["status"] != BookingStatus.pending_payment:
        return None
    if not runtime.settings.payments_configured:
        return None
    return await open_checkout(runtime, ops.booking_from_row(row), release_on_failure=False)


async def forget_checkout(runtime: Runtime, checkout_session_id: str | None) -> None:
    """A hold cancelled by its participant: its Checkout Session stops taking payments."""
    if checkout_session_id and runtime.settings.payments_configured:
        await gateway(runtime.settings).expire_checkout(checkout_session_id)


# ------------------------------------------------------------------------------- the webhook

class _EventObject(msgspec.Struct):
    id: str


class _EventData(msgspec.Struct):
    object: _EventObject


class _Event(msgspec.Struct):
    id: str
    type: str
    data: _EventData


def _event_of(payload: bytes) -> tuple[_Event, dict[str, Any]]:
    try:
        event = msgspec.json.decode(payload, type=_Event)
        raw = msgspec.json.decode(payload)
    except msgspec.DecodeError as exc:
        raise ValidationFailed(f"not a Stripe event: {exc}", errors=[
            {"field": "body", "message": "a Stripe event (id, type, data.object.id)", "source": "body"}]) from None
    if not (0 < len(event.id) <= 255 and 0 < len(event.type) <= 80 and 0 < len(event.data.object.id) <= 255):
        raise ValidationFailed("not a Stripe event", errors=[
            {"field": "body", "message": "ids of 1 to 255 characters", "source": "body"}])
    return event, raw["data"]["object"]


async def handle_webhook(runtime: Runtime, payload: bytes, signature: str | None) -> str:
    """A Stripe event, signed; returns what was done. Its facts are re-read from Stripe before
    anything changes (an event's body is not trusted on its own); Stripe not answering is a
    503, which Stripe delivers again later."""
    settings = runtime.settings
    if not settings.payments_configured:
        raise InvalidSignature("this server takes no Stripe events (no webhook secret is set)")
    verify_webhook(payload, signature, settings, runtime.clock.now())
    event, obj = _event_of(payload)
    if event.type not in payment_ops.CHECKOUT_EVENTS + payment_ops.REFUND_EVENTS:
        return "ignored"
    if await repository.event_seen(event.id):
        return "duplicate"
    stripe = gateway(settings)
    policy = payment_policy(runtime)
    if event.type in payment_ops.CHECKOUT_EVENTS:
        checkout: CheckoutSession = await stripe.checkout(event.data.object.id)
        booking_id = checkout.booking_id or await repository.booking_of_checkout(checkout.id)
        if booking_id is None:
            log.warning("stripe event %s: checkout %s names no booking of ours", event.id, checkout.id)
            return "unknown-booking"
        outcome = await run(runtime, partial(
            payment_ops.apply_checkout, event_id=event.id, event_type=event.type, booking_id=booking_id,
            checkout=checkout, now=runtime.clock.now(), policy=policy))
    else:
        if event.type == "charge.refunded":
            intent = obj.get("payment_intent") if isinstance(obj.get("payment_intent"), str) else None
            refunds = await stripe.refunds_of(intent) if intent else []
        else:
            refund = await stripe.refund(event.data.object.id)
            intent, refunds = refund.payment_intent, [refund]
        if not intent:
            return "ignored"
        booking_id = await repository.booking_of_payment_intent(intent) \
            or await stripe.booking_of_payment_intent(intent)
        if booking_id is None:
            log.warning("stripe event %s: payment %s names no booking of ours", event.id, intent)
            return "unknown-booking"
        outcome = await run(runtime, partial(
            payment_ops.apply_refunds, event_id=event.id, event_type=event.type, booking_id=booking_id,
            payment_intent=intent, refunds=refunds, now=runtime.clock.now(), policy=policy))
    log.info("stripe event %s (%s) for booking %s: %s", event.id, event.type, booking_id, outcome)
    return outcome


# -------------------------------------------------------------------------------- the worker

def retry_delay(attempts: int) -> dt.timedelta:
    """1 min, 2, 4, … at most 6 h between attempts; a refund is never given up on."""
    return min(RETRY_FIRST * (2 ** min(attempts, 20)), RETRY_MOST)


async def carry_out_refunds(runtime: Runtime) -> int:
    """Send the due refunds to Stripe; returns how many Stripe took. Each first reads the
    payment's refunds at Stripe: one of ours found there (made despite an error or a timeout)
    is recorded instead of being made again, and no more than what is left is asked for (the
    host may have refunded part in Stripe's dashboard)."""
    if not runtime.settings.payments_configured:
        return 0
    now = runtime.clock.now()
    stripe, policy, done = gateway(runtime.settings), payment_policy(runtime), 0
    for refund_id in await repository.due_refunds(now, REFUNDS_PER_RUN):
        refund = await repository.refund_by_id(refund_id)
        if refund is None or refund["status"] != RefundStatus.pending or not refund["payment_intent_id"]:
            continue
        intent = refund["payment_intent_id"]
        try:
            at_stripe = await stripe.refunds_of(intent)
            made = next((r for r in at_stripe if r.refund_record == refund_id), None)
            if made is None:
                paid = await stripe.amount_of_payment_intent(intent)
                left = paid - sum(r.amount for r in at_stripe if refund_status(r.status) != RefundStatus.failed)
                if left <= 0:
                    await run(runtime, partial(payment_ops.refund_attempt_failed, refund_id=refund_id,
                                               error="nothing is left to refund at Stripe", next_attempt_at=None,
                                               now=now))
                    continue
                made = await stripe.create_refund(intent, min(refund["amount_cents"], left), refund_id,
                                                  refund["attempts"])
        except PaymentProviderUnavailable as exc:
            permanent = isinstance(exc, PaymentRequestRefused)
            if permanent:
                log.error("refund %s refused by Stripe (%s): a person must look", refund_id, exc.detail)
            await run(runtime, partial(
                payment_ops.refund_attempt_failed, refund_id=refund_id, error=str(exc.detail),
                next_attempt_at=None if permanent else now + retry_delay(refund["attempts"]), now=now))
            continue
        await run(runtime, partial(payment_ops.refund_sent, refund_id=refund_id, facts=made, now=now,
                                   policy=policy))
        done += 1
    return done
