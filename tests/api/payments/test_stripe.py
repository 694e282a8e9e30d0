"""Stripe Checkout end to end: the real SDK against the fake of Stripe's API, webhooks signed
with real HMAC signatures, the booking engine's state read back through the API and the rows.
Each failure case of issue 11 has its test here (the two-process race is in
tests/integration/booking/test_paid_race.py)."""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from booking import checkout, service
from tests.api.payments.conftest import (
    SECRET, book, booking_of, checkout_id, deliver, dumps, paid_session, pay, seats_left,
)
from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import rows


async def outbox(kind: str) -> list[dict]:
    return await rows("SELECT recipient AS recipient_id, dedupe_key FROM outbox_message WHERE kind = {} ORDER BY id", kind)


async def refunds() -> list[dict]:
    return await rows("SELECT booking, amount_cents, reason, started_by, status, attempts, stripe_refund_id "
                      "FROM refund ORDER BY id")


class TestCheckout:
    async def test_happy_path(self, client, clock, fake_stripe, runtime):
        session, user = await paid_session(price_cents=1500), await make_user(locale="fr")
        held = await book(client, user, session["id"], seats=2)
        assert held["status"] == "pending_payment" and held["amount_cents"] == 3000
        hold_end = dt.datetime.fromisoformat(held["hold_expires_at"])
        assert hold_end == clock.now() + runtime.settings.payment_hold + checkout.HOLD_MARGIN
        assert held["checkout_url"].startswith(fake_stripe.url + "/pay/cs_test_")
        [(params, key)] = fake_stripe.calls("POST /v1/checkout/sessions")
        assert key == checkout.checkout_key(held["id"], clock.now())
        assert params["client_reference_id"] == str(held["id"]) and params["metadata"]["alveole_booking_id"] == str(held["id"])
        # the Checkout page closes a little before the hold ends (a last-second payment's webhook
        # still finds its seat), and never sooner than Stripe's 30 minutes
        assert int(params["expires_at"]) == int((hold_end - checkout.PAY_GRACE).timestamp())
        assert hold_end - checkout.PAY_GRACE >= clock.now() + dt.timedelta(minutes=30)
        item = params["line_items"]["0"]
        assert (item["quantity"], item["price_data"]["unit_amount"], item["price_data"]["currency"]) == ("2", "1500", "eur")
        assert item["price_data"]["product_data"]["name"] == "Fix your bike"
        assert params["customer_email"] == user["email"] and params["locale"] == "fr"
        assert params["success_url"] == "http://alveole.test/me/bookings?payment=done"
        assert params["cancel_url"] == "http://alveole.test/me/bookings?payment=cancelled"
        assert await seats_left(client, session["id"]) == 3  # the hold takes its seats

        answer = await pay(client, clock, fake_stripe, held)
        assert answer == {"received": True, "outcome": "confirmed"}
        confirmed = await booking_of(client, user, held["id"])
        assert confirmed["status"] == "confirmed" and "checkout_url" not in confirmed
        assert [r["recipient_id"] for r in await outbox("booking_confirmed")] == [user["id"]]
        # Stripe was asked again before the hold was confirmed (the event alone is not trusted)
        assert fake_stripe.calls(f"GET /v1/checkout/sessions/{checkout_id(fake_stripe, held)}")

    async def test_double_click_and_retried_key_get_the_same_checkout(self, client, fake_stripe):
        session, user = await paid_session(), await make_user()
        first = await book(client, user, session["id"], key="k-1")
        again = await book(client, user, session["id"], key="k-1", expect=200)
        clicked = await book(client, user, session["id"], expect=200)  # no key: the same hold
        assert first["id"] == again["id"] == clicked["id"]
        assert first["checkout_url"] == again["checkout_url"] == clicked["checkout_url"]
        assert len(fake_stripe.sessions) == 1
        other_seats = await book(client, user, session["id"], seats=2, expect=409)
        assert other_seats["type"].endswith("/already-booked")

    async def test_the_payment_link_of_the_email_reopens_the_checkout(self, client, fake_stripe):
        session, user = await paid_session(), await make_user()
        held = await book(client, user, session["id"])
        [mail] = await outbox("payment_link")
        assert mail["dedupe_key"] == f"payment_link:{held['id']}"
        page = await client.get(f"/me/bookings/{held['id']}/pay", headers=auth(user))
        assert page.status_code == 303 and page.headers["location"] == held["checkout_url"]
        stranger = await client.get(f"/me/bookings/{held['id']}/pay", headers=auth(await make_user()))
        assert stranger.status_code == 303 and stranger.headers["location"] == "/me/bookings"
        visitor = await client.get(f"/me/bookings/{held['id']}/pay")
        assert visitor.status_code == 303 and visitor.headers["location"].startswith("/login?next=")


class TestWebhook:
    async def test_signatures(self, client, clock, fake_stripe):
        body = fake_stripe.event("checkout.session.completed", {"id": "cs_x"})
        for headers in ({}, {"stripe-signature": "t=1,v1=00"}, {"stripe-signature": "garbage"}):
            response = await client.post("/api/v1/payments/stripe/webhook", content=body,
                                         headers={"content-type": "application/json", **headers})
            assert response.status_code == 400 and response.json()["type"].endswith("/invalid-signature")
        wrong_key = await deliver(client, clock, body, secret="whsec_other", expect=400)
        assert wrong_key["type"].endswith("/invalid-signature")
        stale = await deliver(client, clock, body, at=clock.now() - dt.timedelta(minutes=6), expect=400)
        assert stale["type"].endswith("/invalid-signature")
        tampered = body.replace(b"cs_x", b"cs_y")
        stamp = int(clock.now().timestamp())
        from tests.fake_stripe import sign
        response = await client.post("/api/v1/payments/stripe/webhook", content=tampered, headers={
            "content-type": "application/json", "stripe-signature": sign(body, SECRET, stamp)})
        assert response.status_code == 400

    async def test_unhandled_events_are_acknowledged(self, client, clock, fake_stripe):
        answer = await deliver(client, clock, fake_stripe.event("customer.created", {"id": "cus_1"}))
        assert answer["outcome"] == "ignored"
        not_event = await deliver(client, clock, dumps({"hello": "world"}), expect=400)
        assert not_event["type"].endswith("/validation-error")

    async def test_duplicate_delivery_three_times(self, client, clock, fake_stripe):
        session, user = await paid_session(), await make_user()
        held = await book(client, user, session["id"])
        body = fake_stripe.event("checkout.session.completed", fake_stripe.pay(checkout_id(fake_stripe, held)))
        outcomes = [(await deliver(client, clock, body))["outcome"] for _ in range(3)]
        assert outcomes == ["confirmed", "duplicate", "duplicate"]
        assert len(await outbox("booking_confirmed")) == 1
        assert len(await rows("SELECT id FROM payment_event")) == 1

    async def test_concurrent_duplicates_confirm_once(self, client, clock, fake_stripe):
        session, user = await paid_session(), await make_user()
        held = await book(client, user, session["id"])
        body = fake_stripe.event("checkout.session.completed", fake_stripe.pay(checkout_id(fake_stripe, held)))
        answers = await asyncio.gather(*[deliver(client, clock, body) for _ in range(5)])
        assert sorted(a["outcome"] for a in answers) == ["confirmed"] + ["duplicate"] * 4
        assert len(await outbox("booking_confirmed")) == 1

    async def test_out_of_order_events(self, client, clock, fake_stripe):
        session, user = await paid_session(), await make_user()
        held = await book(client, user, session["id"])
        paid = fake_stripe.pay(checkout_id(fake_stripe, held))
        assert (await deliver(client, clock, fake_stripe.event("checkout.session.completed", paid)))["outcome"] == "confirmed"
        again = await deliver(client, clock, fake_stripe.event("checkout.session.completed", paid))
        assert again["outcome"] == "already-confirmed"  # completed twice (two event ids)
        expired = await deliver(client, clock, fake_stripe.event("checkout.session.expired", paid))
        assert expired["outcome"] == "nothing-to-do"  # expired after completed: still confirmed
        assert (await booking_of(client, user, held["id"]))["status"] == "confirmed"

    async def test_an_event_whose_amount_does_not_match_changes_nothing(self, client, clock, fake_stripe):
        session, user = await paid_session(), await make_user()
        held = await book(client, user, session["id"])
        cs = checkout_id(fake_stripe, held)
        fake_stripe.pay(cs)
        fake_stripe.sessions[cs]["amount_total"] = 1  # what Stripe says (re-read) is what counts
        answer = await deliver(client, clock, fake_stripe.event("checkout.session.completed", {"id": cs}))
        assert answer["outcome"] == "mismatch"
        assert (await booking_of(client, user, held["id"]))["status"] == "pending_payment"

    async def test_unpaid_completion_waits_for_the_async_payment(self, client, clock, fake_stripe):
        session, user = await paid_session(), await make_user()
        held = await book(client, user, session["id"])
        cs = checkout_id(fake_stripe, held)
        pending = fake_stripe.pay(cs, payment_status="unpaid")
        assert (await deliver(client, clock, fake_stripe.event("checkout.session.completed", pending)))["outcome"] \
            == "awaiting-payment"
        assert (await booking_of(client, user, held["id"]))["status"] == "pending_payment"
        fake_stripe.settle_async(cs)
        answer = await deliver(client, clock, fake_stripe.event("checkout.session.async_payment_succeeded", {"id": cs}))
        assert answer["outcome"] == "confirmed"

    async def test_async_payment_failed_releases_the_seat(self, client, clock, fake_stripe):
        session, user = await paid_session(capacity=1), await make_user()
        held = await book(client, user, session["id"])
        cs = checkout_id(fake_stripe, held)
        fake_stripe.pay(cs, payment_status="unpaid")
        answer = await deliver(client, clock, fake_stripe.event("checkout.session.async_payment_failed", {"id": cs}))
        assert answer["outcome"] == "expired" and await seats_left(client, session["id"]) == 1


class TestExpiry:
    async def test_expiry_by_event_promotes_the_waitlist(self, client, clock, fake_stripe):
        session = await paid_session(capacity=1)
        payer, waiting = await make_user(), await make_user()
        held = await book(client, payer, session["id"])
        joined = await client.post(f"/api/v1/sessions/{session['id']}/waitlist", json={"seats": 1}, headers=auth(waiting))
        assert joined.status_code == 201, joined.text
        body = fake_stripe.event("checkout.session.expired", fake_stripe.expire(checkout_id(fake_stripe, held)))
        assert (await deliver(client, clock, body))["outcome"] == "expired"
        assert (await booking_of(client, payer, held["id"]))["status"] == "expired"
        [promoted] = (await client.get("/api/v1/me/bookings", headers=auth(waiting))).json()["items"]
        assert promoted["status"] == "pending_payment"  # a paid waitlist: a hold and a payment link
        assert [r["recipient_id"] for r in await outbox("payment_link")] == [payer["id"], waiting["id"]]
        assert [r["recipient_id"] for r in await outbox("hold_expired")] == [payer["id"]]
        page = await client.get(f"/me/bookings/{promoted['id']}/pay", headers=auth(waiting))
        assert page.status_code == 303 and page.headers["location"].startswith(fake_stripe.url + "/pay/")

    async def test_expiry_by_the_clock(self, client, clock, fake_stripe, runtime):
        session, user = await paid_session(capacity=1), await make_user()
        held = await book(client, user, session["id"])
        clock.set(clock.now() + runtime.settings.payment_hold + checkout.HOLD_MARGIN)
        assert await service.expire_holds(runtime) == 1
        assert (await booking_of(client, user, held["id"]))["status"] == "expired"
        assert await seats_left(client, session["id"]) == 1

    async def test_offer_mode_accepting_opens_the_hold(self, client, clock, fake_stripe):
        session = await paid_session(capacity=1, waitlist_mode="offer")
        payer, waiting = await make_user(), await make_user()
        held = await book(client, payer, session["id"])
        entry = (await client.post(f"/api/v1/sessions/{session['id']}/waitlist", json={"seats": 1},
                                   headers=auth(waiting))).json()
        await deliver(client, clock, fake_stripe.event("checkout.session.expired",
                                                        fake_stripe.expire(checkout_id(fake_stripe, held))))
        accepted = await client.post(f"/api/v1/waitlist/{entry['id']}/accept", headers=auth(waiting))
        assert accepted.status_code == 201, accepted.text
        booking = accepted.json()
        assert booking["status"] == "pending_payment" and booking["checkout_url"].startswith(fake_stripe.url)


class TestLatePayment:
    async def test_confirmed_when_a_seat_is_still_free(self, client, clock, fake_stripe, runtime):
        session, user = await paid_session(capacity=2), await make_user()
        held = await book(client, user, session["id"])
        clock.set(clock.now() + dt.timedelta(hours=1))
        await service.expire_holds(runtime)
        assert (await pay(client, clock, fake_stripe, held))["outcome"] == "confirmed-late"
        assert (await booking_of(client, user, held["id"]))["status"] == "confirmed"
        assert await refunds() == []

    async def test_refunded_when_the_seat_went_to_someone_else(self, client, clock, fake_stripe, runtime):
        session, user, other = await paid_session(capacity=1), await make_user(), await make_user()
        held = await book(client, user, session["id"])
        clock.set(clock.now() + dt.timedelta(hours=1))
        await service.expire_holds(runtime)
        taken = await book(client, other, session["id"])
        await pay(client, clock, fake_stripe, taken)
        answer = await pay(client, clock, fake_stripe, held)  # the first one pays at last
        assert answer["outcome"] == "refunding-late-payment"
        [refund] = await refunds()
        assert (refund["booking"], refund["amount_cents"], refund["reason"], refund["status"]) == \
            (held["id"], 1500, "late_payment", "pending")
        assert await checkout.carry_out_refunds(runtime) == 1
        [at_stripe] = fake_stripe.refunds.values()
        assert at_stripe["amount"] == 1500 and at_stripe["metadata"] == {"alveole_refund_id": str((await rows("SELECT id FROM refund"))[0]["id"])}
        assert [r["recipient_id"] for r in await outbox("refund_issued")] == [user["id"]]
        shown = await booking_of(client, user, held["id"])
        assert (shown["status"], shown["refund_status"], shown["refunded_cents"]) == ("expired", "succeeded", 1500)

    async def test_paid_after_cancelling_the_hold_is_refunded(self, client, clock, fake_stripe, runtime):
        session, user = await paid_session(), await make_user()
        held = await book(client, user, session["id"])
        cancelled = await client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=auth(user))
        assert cancelled.status_code == 200
        cs = checkout_id(fake_stripe, held)
        assert fake_stripe.sessions[cs]["status"] == "expired"  # its Checkout Session was closed
        fake_stripe.sessions[cs]["status"] = "open"  # ...but a payment slipped through
        assert (await pay(client, clock, fake_stripe, held))["outcome"] == "refunding-late-payment"


class TestRefunds:
    async def _paid(self, client, clock, fake, user, session, seats=1):
        held = await book(client, user, session["id"], seats=seats)
        await pay(client, clock, fake, held)
        return held

    async def test_early_cancellation_is_refunded_in_full(self, client, clock, fake_stripe, runtime):
        session, user = await paid_session(), await make_user()
        held = await self._paid(client, clock, fake_stripe, user, session, seats=2)
        cancelled = (await client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=auth(user))).json()
        assert cancelled["refund_status"] == "pending" and cancelled["late_cancellation"] is False
        assert [(r["amount_cents"], r["reason"], r["started_by"]) for r in await refunds()] == \
            [(3000, "participant_cancelled", "participant")]
        assert await checkout.carry_out_refunds(runtime) == 1
        assert await checkout.carry_out_refunds(runtime) == 0  # done once
        assert [r["amount"] for r in fake_stripe.refunds.values()] == [3000]
        exported = (await client.get("/api/v1/me/export", headers=auth(user))).json()
        assert [(r["booking_id"], r["amount_cents"], r["status"]) for r in exported["refunds"]] == \
            [(held["id"], 3000, "succeeded")]
        assert exported["bookings"][0]["refunded_cents"] == 3000

    async def test_late_cancellation_is_not_refunded(self, client, clock, fake_stripe, runtime):
        session, user = await paid_session(), await make_user()
        held = await self._paid(client, clock, fake_stripe, user, session)
        clock.set(session["starts_at"] - dt.timedelta(hours=2))  # the deadline is 24 h before
        cancelled = (await client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=auth(user))).json()
        assert cancelled["late_cancellation"] is True and "refund_status" not in cancelled
        assert await refunds() == []

    async def test_cancelled_session_refunds_every_paid_seat(self, client, clock, fake_stripe, runtime):
        session = await paid_session(capacity=10, price_cents=700)
        payers = [await make_user() for _ in range(3)]
        paid = [await self._paid(client, clock, fake_stripe, user, session, seats=n + 1)
                for n, user in enumerate(payers)]
        unpaid = await book(client, await make_user(), session["id"])  # a hold: nothing to give back
        host = session["host"]
        response = await client.post(f"/api/v1/sessions/{session['id']}/cancel", json={"reason": "ill"},
                                     headers=auth(host))
        assert response.status_code == 200, response.text
        assert sorted((r["booking"], r["amount_cents"], r["reason"]) for r in await refunds()) == \
            [(b["id"], 700 * (n + 1), "session_cancelled") for n, b in enumerate(paid)]
        assert await checkout.carry_out_refunds(runtime) == 3
        assert sorted(r["amount"] for r in fake_stripe.refunds.values()) == [700, 1400, 2100]
        assert unpaid["id"] not in [r["booking"] for r in await refunds()]
        assert fake_stripe.sessions[checkout_id(fake_stripe, unpaid)]["status"] == "expired"  # its page closed

    async def test_a_refund_failing_twice_then_succeeding_is_made_once(self, client, clock, fake_stripe, runtime):
        session, user = await paid_session(), await make_user()
        held = await self._paid(client, clock, fake_stripe, user, session)
        await client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=auth(user))
        fake_stripe.fail("POST /v1/refunds", times=2)
        assert await checkout.carry_out_refunds(runtime) == 0
        [refund] = await refunds()
        assert (refund["status"], refund["attempts"]) == ("pending", 1)
        assert await checkout.carry_out_refunds(runtime) == 0  # not due yet: nothing sent
        clock.set(clock.now() + checkout.retry_delay(0))
        assert await checkout.carry_out_refunds(runtime) == 0
        clock.set(clock.now() + checkout.retry_delay(1))
        assert await checkout.carry_out_refunds(runtime) == 1
        assert len(fake_stripe.refunds) == 1 and len(fake_stripe.calls("POST /v1/refunds")) == 3
        refund_id = (await rows("SELECT id FROM refund"))[0]["id"]
        # a new key per attempt (Stripe keeps a failure's answer under its key for a day); the
        # payment's refunds are read before each, so a refund made despite an error is not repeated
        assert [key for _, key in fake_stripe.calls("POST /v1/refunds")] == \
            [f"alveole-refund-{refund_id}-{n}" for n in range(3)]
        assert (await refunds())[0]["status"] == "succeeded"
        assert len(await outbox("refund_issued")) == 1

    async def test_two_workers_at_once_refund_once(self, client, clock, fake_stripe, runtime):
        session, user = await paid_session(), await make_user()
        held = await self._paid(client, clock, fake_stripe, user, session)
        await client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=auth(user))
        await asyncio.gather(checkout.carry_out_refunds(runtime), checkout.carry_out_refunds(runtime))
        assert len(fake_stripe.refunds) == 1 and len(await outbox("refund_issued")) == 1

    async def test_a_dashboard_refund_is_recorded_as_external(self, client, clock, fake_stripe):
        session, user = await paid_session(), await make_user()
        held = await self._paid(client, clock, fake_stripe, user, session)
        intent = fake_stripe.sessions[checkout_id(fake_stripe, held)]["payment_intent"]
        fake_stripe.dashboard_refund(intent, 500)
        body = fake_stripe.event("charge.refunded", fake_stripe.charge_of(intent))
        assert (await deliver(client, clock, body))["outcome"] == "refunds-recorded"
        assert (await deliver(client, clock, body))["outcome"] == "duplicate"
        [refund] = await refunds()
        assert (refund["amount_cents"], refund["reason"], refund["started_by"], refund["status"]) == \
            (500, "external", "stripe", "succeeded")
        shown = await booking_of(client, user, held["id"])
        assert (shown["status"], shown["refunded_cents"], shown["refund_status"]) == ("confirmed", 500, "succeeded")

    async def test_refund_heard_of_before_the_payment(self, client, clock, fake_stripe):
        session, user = await paid_session(capacity=1), await make_user()
        held = await book(client, user, session["id"])
        paid = fake_stripe.pay(checkout_id(fake_stripe, held))
        fake_stripe.dashboard_refund(paid["payment_intent"], 1500)
        refunded = await deliver(client, clock, fake_stripe.event("charge.refunded",
                                                                   fake_stripe.charge_of(paid["payment_intent"])))
        assert refunded["outcome"] == "refunds-recorded"
        answer = await deliver(client, clock, fake_stripe.event("checkout.session.completed", paid))
        assert answer["outcome"] == "refunded-before-completion"
        assert (await booking_of(client, user, held["id"]))["status"] == "expired"
        assert await seats_left(client, session["id"]) == 1

    async def test_refund_updated_for_one_of_ours(self, client, clock, fake_stripe, runtime):
        session, user = await paid_session(), await make_user()
        held = await self._paid(client, clock, fake_stripe, user, session)
        await client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=auth(user))
        original = fake_stripe._new_refund  # Stripe takes it, but not at once

        def pending(params):
            refund = original(params)
            refund["status"] = "pending"
            return refund
        fake_stripe._new_refund = pending
        await checkout.carry_out_refunds(runtime)
        assert (await refunds())[0]["status"] == "requested" and await outbox("refund_issued") == []
        [stripe_refund] = fake_stripe.refunds.values()
        stripe_refund["status"] = "succeeded"
        answer = await deliver(client, clock, fake_stripe.event("refund.updated", stripe_refund))
        assert answer["outcome"] == "refunds-recorded"
        assert (await refunds())[0]["status"] == "succeeded" and len(await outbox("refund_issued")) == 1


class TestStripeDown:
    async def test_an_outage_releases_the_seat_and_answers_503(self, client, fake_stripe):
        session, user = await paid_session(capacity=1), await make_user()
        fake_stripe.fail("POST /v1/checkout/sessions", times=1)
        problem = await book(client, user, session["id"], key="retry-me", expect=503)
        assert problem["type"].endswith("/payment-provider-unavailable")
        assert await seats_left(client, session["id"]) == 1
        retried = await book(client, user, session["id"], key="retry-me", expect=201)
        assert retried["status"] == "pending_payment" and retried["checkout_url"]

    async def test_a_slow_stripe_times_out_without_slowing_other_bookings(self, client, fake_stripe, runtime):
        runtime.settings = dataclasses.replace(runtime.settings, stripe_timeout=0.5)
        fake_stripe.delay("POST /v1/checkout/sessions", 5)
        paid, free = await paid_session(capacity=1), await make_session(capacity=5)
        payer, neighbour = await make_user(), await make_user()
        order: list[str] = []

        async def slow():
            await book(client, payer, paid["id"], expect=503)
            order.append("paid")

        async def quick():
            await book(client, neighbour, free["id"], expect=201)
            order.append("free")

        await asyncio.gather(slow(), quick())
        assert order == ["free", "paid"]
        assert await seats_left(client, paid["id"]) == 1


class TestConfiguration:
    async def test_without_keys_the_webhook_refuses(self, client, clock, fake_stripe, runtime):
        runtime.settings = dataclasses.replace(runtime.settings, stripe_webhook_secret=None)
        problem = await deliver(client, clock, fake_stripe.event("checkout.session.completed", {"id": "cs_1"}),
                                expect=400)
        assert problem["type"].endswith("/invalid-signature")

    async def test_publishing_a_stripe_workshop_needs_keys(self, client, runtime):
        community = await make_community(moderation=False)
        host = await make_user()
        workshop = await make_workshop(host=host, community=community, payment="stripe", price_cents=900,
                                       status="draft")
        runtime.settings = dataclasses.replace(runtime.settings, stripe_api_key=None)
        response = await client.post(f"/api/v1/workshops/{workshop['id']}/submit", headers=auth(host))
        assert response.status_code == 409 and response.json()["type"].endswith("/payments-not-configured")


async def _promoted(client, clock, fake_stripe, **workshop):
    """A paid session whose payer's hold expired: the waitlisted participant got the seat's hold."""
    session = await paid_session(capacity=1, price_cents=1500, **workshop)
    payer, waiting = await make_user(), await make_user()
    held = await book(client, payer, session["id"])
    entry = (await client.post(f"/api/v1/sessions/{session['id']}/waitlist", json={"seats": 1},
                               headers=auth(waiting))).json()
    await deliver(client, clock, fake_stripe.event("checkout.session.expired",
                                                    fake_stripe.expire(checkout_id(fake_stripe, held))))
    return session, waiting, entry


class TestHoldsTheWaitlistGave:
    async def test_the_hold_s_amount_is_charged_even_if_the_price_changed(self, client, clock, fake_stripe):
        session, waiting, _ = await _promoted(client, clock, fake_stripe)
        [promoted] = (await client.get("/api/v1/me/bookings", headers=auth(waiting))).json()["items"]
        await rows("UPDATE workshop SET price_cents = 1000 WHERE id = {}", session["workshop"])  # the host edits
        page = await client.get(f"/me/bookings/{promoted['id']}/pay", headers=auth(waiting))
        paid = fake_stripe.pay(page.headers["location"].rsplit("/", 1)[-1])
        assert paid["amount_total"] == promoted["amount_cents"] == 1500
        assert (await deliver(client, clock, fake_stripe.event("checkout.session.completed", paid)))["outcome"] \
            == "confirmed"

    async def test_a_payment_link_followed_later_gets_the_30_minutes_stripe_needs(self, client, clock, fake_stripe):
        _, waiting, _ = await _promoted(client, clock, fake_stripe)
        [promoted] = (await client.get("/api/v1/me/bookings", headers=auth(waiting))).json()["items"]
        clock.set(clock.now() + dt.timedelta(minutes=20))  # the email is read 20 minutes later
        page = await client.get(f"/me/bookings/{promoted['id']}/pay", headers=auth(waiting))
        assert page.status_code == 303 and page.headers["location"].startswith(fake_stripe.url), page.headers
        params, _ = fake_stripe.calls("POST /v1/checkout/sessions")[-1]
        assert int(params["expires_at"]) - clock.now().timestamp() >= 30 * 60  # the fake enforces it too
        shown = await booking_of(client, waiting, promoted["id"])
        assert dt.datetime.fromisoformat(shown["hold_expires_at"]) == \
            clock.now() + checkout.STRIPE_SHORTEST + checkout.HOLD_MARGIN

    async def test_stripe_down_when_accepting_an_offer_keeps_the_place(self, client, clock, fake_stripe):
        _, waiting, entry = await _promoted(client, clock, fake_stripe, waitlist_mode="offer")
        fake_stripe.fail("POST /v1/checkout/sessions", times=1)
        accepted = await client.post(f"/api/v1/waitlist/{entry['id']}/accept", headers=auth(waiting))
        assert accepted.status_code == 503 and accepted.json()["type"].endswith("/payment-provider-unavailable")
        [held] = (await client.get("/api/v1/me/bookings", headers=auth(waiting))).json()["items"]
        assert held["status"] == "pending_payment"  # the seat stays theirs until the hold ends
        clock.set(clock.now() + dt.timedelta(minutes=1))  # a minute later, a new idempotency key
        page = await client.get(f"/me/bookings/{held['id']}/pay", headers=auth(waiting))
        assert page.status_code == 303 and page.headers["location"].startswith(fake_stripe.url)


class TestRaces:
    async def test_concurrent_double_click_keeps_one_hold_and_one_checkout(self, client, fake_stripe):
        fake_stripe.delay("POST /v1/checkout/sessions", 0.8)  # the second click comes while Stripe answers
        session, user = await paid_session(), await make_user()
        first = asyncio.create_task(book(client, user, session["id"], expect=None))
        await asyncio.sleep(0.3)
        second = await book(client, user, session["id"], expect=None)
        first = await first
        assert first["id"] == second["id"] and first["checkout_url"] == second["checkout_url"]
        assert len(fake_stripe.sessions) == 1
        [row] = await rows("SELECT status, checkout_url FROM booking WHERE \"user\" = {}", user["id"])
        assert row["status"] == "pending_payment" and row["checkout_url"] == first["checkout_url"]


class TestUntrusted:
    async def test_pay_page_ids_that_are_not_plain_digits_name_nothing(self, client):
        user = await make_user()
        for odd in ("%C2%B2", "99999999999", "01x"):
            assert (await client.get(f"/me/bookings/{odd}/pay", headers=auth(user))).status_code == 404

    async def test_an_expired_event_for_a_checkout_still_open_changes_nothing(self, client, clock, fake_stripe):
        session, user = await paid_session(), await make_user()
        held = await book(client, user, session["id"])
        forged = fake_stripe.event("checkout.session.expired", {"id": checkout_id(fake_stripe, held)})
        assert (await deliver(client, clock, forged))["outcome"] == "nothing-to-do"  # Stripe says: open
        assert (await booking_of(client, user, held["id"]))["status"] == "pending_payment"

    async def test_refunds_of_a_payment_that_is_not_ours_are_not_adopted(self, client, clock, fake_stripe):
        on_site = await make_session(await make_workshop(payment="on_site", price_cents=1500))
        user = await make_user()
        mine = await book(client, user, on_site["id"])
        intent = "pi_test_foreign"
        fake_stripe.intents[intent] = {"id": intent, "object": "payment_intent", "amount": 1500, "currency": "eur",
                                       "metadata": {"alveole_booking_id": str(mine["id"])}}
        fake_stripe.dashboard_refund(intent, 1500)
        answer = await deliver(client, clock, fake_stripe.event("charge.refunded", fake_stripe.charge_of(intent)))
        assert answer["outcome"] == "mismatch" and await refunds() == []


class TestPartialRefunds:
    async def test_after_a_partial_dashboard_refund_only_the_rest_is_refunded(self, client, clock, fake_stripe,
                                                                               runtime):
        session, user = await paid_session(), await make_user()
        held = await book(client, user, session["id"], seats=2)
        await pay(client, clock, fake_stripe, held)
        await client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=auth(user))
        intent = fake_stripe.sessions[checkout_id(fake_stripe, held)]["payment_intent"]
        fake_stripe.dashboard_refund(intent, 500)  # before the worker got to it
        assert await checkout.carry_out_refunds(runtime) == 1
        assert sorted(r["amount"] for r in fake_stripe.refunds.values()) == [500, 2500]
        shown = await booking_of(client, user, held["id"])
        assert shown["refund_status"] == "succeeded"


@pytest.mark.parametrize("minutes", ["29", "0", "1441"])
def test_the_hold_is_never_under_stripe_s_minimum(minutes):
    from kernel.settings import Settings, SettingsError
    with pytest.raises(SettingsError):
        Settings.from_env({"ALVEOLE_PAYMENT_HOLD_MINUTES": minutes})
