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
from booking.payments import CheckoutSession, gateway, verify_webhook
from booking.rules import BookingPolicy
from booking.schemas import Booking, BookingStatus
from booking.store import run
from kernel.errors import ValidationFailed
from kernel.runtime import Runtime
from kernel.sql import as_datetime

log = logging.getLogger("alveole.booking.payments")
# A Checkout Session cannot expire sooner than 30 minutes after Stripe receives the request:
# the hold is this much longer than ALVEOLE_PAYMENT_HOLD_MINUTES, so that the Checkout
# Session's `expires_at` is exactly the hold's end even with the call's latency.
STRIPE_LATENCY_MARGIN = dt.timedelta(minutes=1)
REFUNDS_PER_RUN = 20
RETRY_FIRST, RETRY_MOST = dt.timedelta(minutes=1), dt.timedelta(hours=6)


def payment_policy(runtime: Runtime) -> BookingPolicy:
    """Holds for `stripe` workshops when Stripe is configured, else none (409 payments-not-configured)."""
    settings = runtime.settings
    if not settings.payments_configured:
        return BookingPolicy(payment_hold=None)
    return BookingPolicy(payment_hold=settings.payment_hold + STRIPE_LATENCY_MARGIN)


def return_urls(base_url: str) -> tuple[str, str]:
    """Where Stripe sends the participant back: my bookings, with a notice."""
    return f"{base_url}/me/bookings?payment=done", f"{base_url}/me/bookings?payment=cancelled"


def _checkout_params(facts: Any, base_url: str) -> dict[str, Any]:
    success, cancel = return_urls(base_url)
    booking_id = str(facts["b_id"])
    hold_end = as_datetime(facts["b_hold_expires_at"])
    assert hold_end is not None
    return {
        "mode": "payment",
        "line_items": [{"quantity": facts["b_seats"], "price_data": {
            "currency": facts["b_currency"], "unit_amount": facts["w_price_cents"],
            "product_data": {"name": facts["w_title"][:250]}}}],
        "customer_email": facts["p_email"],
        "locale": "fr" if str(facts["p_locale"]).startswith("fr") else "en",
        "client_reference_id": booking_id,
        "metadata": {"booking_id": booking_id, "session_id": str(facts["s_id"])},
        "payment_intent_data": {"metadata": {"booking_id": booking_id}},
        "expires_at": int(hold_end.timestamp()),
        "success_url": success,
        "cancel_url": cancel,
    }


async def open_checkout(runtime: Runtime, booking: Booking) -> Booking:
    """A payment hold's Checkout Session (the one it has, or a new one): the booking answered
    with `checkout_url`. Stripe failing or too slow releases the hold: 503."""
    if booking.status != BookingStatus.pending_payment or booking.checkout_url:
        return booking
    facts = await repository.checkout_facts(booking.id)
    if facts is None or facts["b_status"] != BookingStatus.pending_payment:
        return booking
    if facts["b_checkout_url"]:
        return msgspec.structs.replace(booking, checkout_url=facts["b_checkout_url"])
    settings, policy = runtime.settings, payment_policy(runtime)
    try:
        checkout = await gateway(settings).create_checkout(
            _checkout_params(facts, settings.base_url), idempotency_key=f"alveole-checkout-{booking.id}")
        if not checkout.url:
            raise PaymentProviderUnavailable("Stripe answered without a payment page")
    except PaymentProviderUnavailable:
        await run(runtime, partial(payment_ops.release_hold, booking_id=booking.id,
                                   now=runtime.clock.now(), policy=policy))
        raise
    recorded = await run(runtime, partial(payment_ops.record_checkout, booking_id=booking.id,
                                          checkout_session_id=checkout.id, url=checkout.url,
                                          now=runtime.clock.now()))
    if not recorded:  # the hold ended while Stripe was answering: no payment may be taken for it
        await gateway(settings).expire_checkout(checkout.id)
        return booking
    return msgspec.structs.replace(booking, checkout_url=checkout.url)


async def checkout_for_participant(runtime: Runtime, user: CurrentUser, booking_id: int) -> Booking | None:
    """The payment page of the user's own open hold (the emailed payment link), or None."""
    row = await repository.booking_with_parties(booking_id)
    if row is None or row["user"] != user.id or row["status"] != BookingStatus.pending_payment:
        return None
    if not runtime.settings.payments_configured:
        return None
    return await open_checkout(runtime, ops.booking_from_row(row))


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
    """Send the due refunds to Stripe (each with its own idempotency key: a retry, or two
    workers at once, never refund twice); returns how many Stripe took."""
    if not runtime.settings.payments_configured:
        return 0
    now = runtime.clock.now()
    stripe, policy, done = gateway(runtime.settings), payment_policy(runtime), 0
    for refund_id in await repository.due_refunds(now, REFUNDS_PER_RUN):
        refund = await repository.refund_by_id(refund_id)
        if refund is None or not refund["payment_intent_id"]:
            continue
        try:
            facts = await stripe.create_refund(refund["payment_intent_id"], refund["amount_cents"], refund_id)
        except PaymentProviderUnavailable as exc:
            permanent = isinstance(exc, PaymentRequestRefused)
            if permanent:
                log.error("refund %s refused by Stripe (%s): a person must look", refund_id, exc.detail)
            await run(runtime, partial(
                payment_ops.refund_attempt_failed, refund_id=refund_id, error=str(exc.detail),
                next_attempt_at=None if permanent else now + retry_delay(refund["attempts"]), now=now))
            continue
        await run(runtime, partial(payment_ops.refund_sent, refund_id=refund_id, facts=facts, now=now,
                                   policy=policy))
        done += 1
    return done
