"""Stripe, through the official SDK, and nothing else here: opening, reading and expiring a
Checkout Session, reading a payment intent, creating and reading refunds, checking a webhook's
signature.

- The SDK's calls are blocking: they run on a small thread pool of their own, so a slow Stripe
  ties up neither the event loop nor the threads the database and the framework use. Each
  call is bounded (`settings.stripe_timeout` seconds, no SDK retries: the booking answers 503
  at once and the worker retries refunds on its own schedule).
- Every write carries an idempotency key derived from our own record (`alveole-checkout-{booking}`,
  `alveole-refund-{refund}`): a double click, a retried request or two workers racing get the
  same Checkout Session or refund from Stripe, never a second one.
- `ALVEOLE_STRIPE_API_BASE` points the SDK at another server (the tests' fake of Stripe's API).
- A webhook is trusted only when `Stripe-Signature` is a valid HMAC of the raw body with
  `ALVEOLE_STRIPE_WEBHOOK_SECRET` (the SDK's check) and its timestamp is within five minutes
  of the service's clock.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import stripe

from booking.errors import InvalidSignature, PaymentProviderUnavailable, PaymentRequestRefused
from kernel.ids import MAX_ID
from kernel.settings import Settings

log = logging.getLogger("alveole.booking.payments")
T = TypeVar("T")
SIGNATURE_TOLERANCE = dt.timedelta(minutes=5)
# our metadata keys, named so that another integration on the same Stripe account cannot be
# mistaken for us
BOOKING_KEY, REFUND_KEY = "alveole_booking_id", "alveole_refund_id"
IN_FLIGHT_RETRIES, IN_FLIGHT_WAIT = 3, 0.5
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="stripe")


@dataclass(frozen=True)
class CheckoutSession:
    """The parts of a Checkout Session the service acts on (re-read from Stripe, never taken
    from a webhook's body alone)."""

    id: str
    url: str | None
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_total: int | None
    currency: str | None
    booking_id: int | None  # client_reference_id (and metadata.booking_id)
    payment_intent: str | None


@dataclass(frozen=True)
class RefundFacts:
    id: str
    amount: int
    currency: str
    status: str  # pending | requires_action | succeeded | failed | canceled
    payment_intent: str | None
    refund_record: int | None  # metadata.refund_id: one of ours


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _plain(obj: Any) -> dict[str, Any]:
    """An SDK object as plain dicts and lists (what the parsing below reads)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _id_of(value: Any) -> str | None:
    """An expandable field: the id string, or the expanded object's id."""
    if isinstance(value, str):
        return value or None
    return _text(value.get("id")) if isinstance(value, dict) else None


def _int(value: Any) -> int | None:
    """One of our ids as Stripe hands it back (a string in metadata), or None: never beyond
    what our id columns hold."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None


def _checkout(obj: Any) -> CheckoutSession:
    obj = _plain(obj)
    metadata = obj.get("metadata") or {}
    booking = _int(obj.get("client_reference_id"))
    return CheckoutSession(
        id=obj["id"], url=_text(obj.get("url")), status=str(obj.get("status") or ""),
        payment_status=str(obj.get("payment_status") or ""), amount_total=_int(obj.get("amount_total")),
        currency=_text(obj.get("currency")),
        booking_id=booking if booking is not None else _int(metadata.get(BOOKING_KEY)),
        payment_intent=_id_of(obj.get("payment_intent")),
    )


def _refund(obj: Any) -> RefundFacts:
    obj = _plain(obj)
    metadata = obj.get("metadata") or {}
    return RefundFacts(id=obj["id"], amount=_int(obj.get("amount")) or 0, currency=str(obj.get("currency") or ""),
                       status=str(obj.get("status") or ""), payment_intent=_id_of(obj.get("payment_intent")),
                       refund_record=_int(metadata.get(REFUND_KEY)))


class _InFlight(Exception):
    """Stripe is still answering another request with the same idempotency key."""


class StripeGateway:
    """The service's one door to Stripe (built from the settings; see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.stripe_api_key:
            raise RuntimeError("Stripe is not configured")
        base = {"api": settings.stripe_api_base.rstrip("/")} if settings.stripe_api_base else None
        self.timeout = settings.stripe_timeout
        self._client = stripe.StripeClient(
            settings.stripe_api_key, base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=0, http_client=stripe.RequestsClient(timeout=settings.stripe_timeout))

    async def _call(self, what: str, call: Callable[[], T], in_flight_is_error: bool = True) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(_POOL, call), self.timeout + 1)
        except stripe.APIError as exc:
            if exc.http_status == 409 and not in_flight_is_error:  # idempotency_key_in_use
                raise _InFlight() from exc
            log.warning("stripe %s failed: %s", what, exc.user_message or type(exc).__name__)
            raise PaymentProviderUnavailable() from exc
        except stripe.InvalidRequestError as exc:
            log.warning("stripe %s refused: %s", what, exc.user_message or type(exc).__name__)
            raise PaymentRequestRefused(f"Stripe refused the request: {exc.user_message or 'invalid request'}") from exc
        except (stripe.StripeError, TimeoutError) as exc:
            # the error's class and Stripe's message only: never the request (keys, emails)
            message = getattr(exc, "user_message", None) or type(exc).__name__
            log.warning("stripe %s failed: %s", what, message)
            raise PaymentProviderUnavailable() from exc

    async def create_checkout(self, params: dict[str, Any], idempotency_key: str) -> CheckoutSession:
        """A Checkout Session; the same key answers the same one. While another request with
        the key is still being answered (a double click), Stripe says 409: wait for it briefly
        (IN_FLIGHT_RETRIES × IN_FLIGHT_WAIT at most) and ask again."""
        sessions = self._client.v1.checkout.sessions
        call = functools.partial(sessions.create, params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        for attempt in range(IN_FLIGHT_RETRIES + 1):
            try:
                return _checkout(await self._call("checkout create", call, in_flight_is_error=False))
            except _InFlight:
                if attempt == IN_FLIGHT_RETRIES:
                    break
                await asyncio.sleep(IN_FLIGHT_WAIT)
        raise PaymentProviderUnavailable("another request for this booking is still being answered")

    async def checkout(self, checkout_session_id: str) -> CheckoutSession:
        sessions = self._client.v1.checkout.sessions
        return _checkout(await self._call("checkout retrieve", functools.partial(
            sessions.retrieve, checkout_session_id)))

    async def expire_checkout(self, checkout_session_id: str) -> None:
        """Best effort: a Checkout Session whose hold is gone should not take money (if it
        still does, the late payment is refunded)."""
        sessions = self._client.v1.checkout.sessions
        try:
            await self._call("checkout expire", functools.partial(sessions.expire, checkout_session_id))
        except PaymentProviderUnavailable:
            pass

    async def amount_of_payment_intent(self, payment_intent_id: str) -> int:
        intent = await self._call("payment intent retrieve", functools.partial(
            self._client.v1.payment_intents.retrieve, payment_intent_id))
        return _int(_plain(intent).get("amount")) or 0

    async def booking_of_payment_intent(self, payment_intent_id: str) -> int | None:
        intent = await self._call("payment intent retrieve", functools.partial(
            self._client.v1.payment_intents.retrieve, payment_intent_id))
        return _int((_plain(intent).get("metadata") or {}).get(BOOKING_KEY))

    async def create_refund(self, payment_intent_id: str, amount: int, refund_id: int, attempt: int) -> RefundFacts:
        """A refund of ours. The idempotency key names the attempt: Stripe keeps the answer of
        a failed request under its key for a day, so a retry needs a new one — and
        `refunds_of` is read first, so that a refund Stripe made despite an error is found
        (by its metadata) instead of being made again."""
        params = {"payment_intent": payment_intent_id, "amount": amount,
                  "metadata": {REFUND_KEY: str(refund_id)}}
        created = await self._call("refund create", functools.partial(
            self._client.v1.refunds.create, params,  # type: ignore[arg-type]
            {"idempotency_key": f"alveole-refund-{refund_id}-{attempt}"}))
        return _refund(created)

    async def refund(self, refund_id: str) -> RefundFacts:
        return _refund(await self._call("refund retrieve", functools.partial(
            self._client.v1.refunds.retrieve, refund_id)))

    async def refunds_of(self, payment_intent_id: str) -> list[RefundFacts]:
        listed = await self._call("refund list", functools.partial(
            self._client.v1.refunds.list, {"payment_intent": payment_intent_id, "limit": 100}))  # type: ignore[arg-type]
        return [_refund(item) for item in listed.data]


@functools.lru_cache(maxsize=4)
def _gateway(settings: Settings) -> StripeGateway:
    return StripeGateway(settings)


def gateway(settings: Settings) -> StripeGateway:
    """The gateway for these settings (one SDK client per configuration)."""
    return _gateway(settings)


def verify_webhook(payload: bytes, header: str | None, settings: Settings, now: dt.datetime) -> None:
    """InvalidSignature unless `header` signs `payload` with the webhook secret, at a time
    within SIGNATURE_TOLERANCE of `now` (the service's clock, which tests set)."""
    secret = settings.stripe_webhook_secret
    if not header or not secret or len(header) > 4096:
        raise InvalidSignature("Stripe-Signature is missing" if not header else "the signature cannot be checked")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), header, secret, tolerance=None)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
        raise InvalidSignature("Stripe-Signature does not match the body") from None
    stamps = [part[2:] for part in header.split(",") if part.startswith("t=")]
    if not stamps or not stamps[0].isdigit() or len(stamps[0]) > 12:
        raise InvalidSignature("Stripe-Signature has no timestamp")
    signed_at = dt.datetime.fromtimestamp(int(stamps[0]), dt.UTC)
    if abs(now - signed_at) > SIGNATURE_TOLERANCE:
        raise InvalidSignature("Stripe-Signature is too old (or from the future)")
