"""The Stripe webhook (`POST /api/v1/payments/stripe/webhook`); the payment link of emails
(`GET /me/bookings/{id}/pay`) is a page of `web.participant`."""
from __future__ import annotations

from litestar import Request, post
from litestar.di import NamedDependency

from accounts.auth import CurrentUser
from booking import checkout
from kernel.http import ProblemResponses, RuntimeDep

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


ROUTES = [stripe_webhook]
