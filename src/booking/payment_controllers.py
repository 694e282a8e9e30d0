"""The Stripe webhook (`POST /api/v1/payments/stripe/webhook`) and the payment link of emails
(`GET /me/bookings/{id}/pay`, which opens or reopens the hold's Stripe Checkout page)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from accounts.auth import CurrentUser
from accounts.pages import login_redirect
from booking import checkout
from booking.service import ensure_id
from booking.errors import PaymentProviderUnavailable
from kernel.http import ProblemResponses, RuntimeDep
from kernel.pages import N_, see_other

MaybeUserDep = NamedDependency[CurrentUser | None]
problems = ProblemResponses({
    400: "invalid-signature: `Stripe-Signature` missing, wrong or older than 5 minutes; "
         "validation-error: not a Stripe event",
    503: "payment-provider-unavailable: Stripe could not be asked about the event (Stripe delivers it again)",
})


@post("/api/v1/payments/stripe/webhook", status_code=200, tags=["payments"], summary="Stripe webhook",
      description="Stripe's events, signed (`Stripe-Signature`, checked on the raw body with "
                  "`ALVEOLE_STRIPE_WEBHOOK_SECRET`). Handled: `checkout.session.completed` (confirms "
                  "when `payment_status` is `paid`), `checkout.session.async_payment_succeeded` / "
                  "`_failed`, `checkout.session.expired`, `charge.refunded`, `refund.created`, "
                  "`refund.updated`; the Checkout Session or refund is re-read from Stripe before "
                  "anything changes. Any other event, and an event already seen, is acknowledged (200) "
                  "and changes nothing. `outcome` says what was done.",
      responses=problems(400, 503))
async def stripe_webhook(request: Request, runtime: RuntimeDep) -> dict[str, object]:
    outcome = await checkout.handle_webhook(runtime, await request.body(),
                                            request.headers.get("stripe-signature"))
    return {"received": True, "outcome": outcome}


@get("/me/bookings/{booking_id:int}/pay", include_in_schema=False)
async def pay(booking_id: FromPath[int], request: Request, runtime: RuntimeDep, maybe_user: MaybeUserDep) -> Response:
    """The emailed payment link: 303 to the hold's Stripe Checkout page, opened now if needed
    (an id that is not plain digits names nothing: 404)."""
    if maybe_user is None:
        return login_redirect(request, runtime)
    settings = runtime.settings
    try:
        booking = await checkout.checkout_for_participant(runtime, maybe_user, ensure_id(booking_id, "booking"))
    except PaymentProviderUnavailable:
        return see_other("/me/bookings", settings,
                         flash=N_("Online payment is not answering right now: your seats were released. "
                                  "Please try booking again in a few minutes."))
    if booking is None or not booking.checkout_url:
        return see_other("/me/bookings", settings, flash=N_("This booking is not waiting for a payment."))
    return Redirect(booking.checkout_url, status_code=303, headers={"Cache-Control": "no-store"})


ROUTES = [stripe_webhook, pay]
