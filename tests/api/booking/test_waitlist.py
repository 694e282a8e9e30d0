"""The waitlist: joining, positions, leaving, promotion (auto and offer), offers expiring."""
from __future__ import annotations

import datetime as dt

import pytest

from alveole.worker import run_once
from tests.factories import auth, make_session, make_user, make_workshop
from tests.integration.booking.support import book, join, rows


async def full_session(client, capacity=2, **workshop):
    """A session whose seats are all taken by one booking; returns (session, holder, booking)."""
    session = await make_session(await make_workshop(capacity=capacity, **workshop))
    holder = await make_user()
    booking = (await book(client, holder, session["id"], capacity)).json()
    return session, holder, booking


async def entry_status(entry_id):
    return (await rows("SELECT status FROM waitlist_entry WHERE id = {}", entry_id))[0]["status"]


class TestJoin:
    async def test_positions_in_order(self, client, notifier):
        session, _, _ = await full_session(client)
        answers = [await join(client, await make_user(), session["id"]) for _ in range(3)]
        assert [a.status_code for a in answers] == [201] * 3
        assert [a.json()["position"] for a in answers] == [1, 2, 3]
        first = answers[0].json()
        assert (first["session_id"], first["seats"], first["status"]) == (session["id"], 1, "waiting")
        assert [e.position for e in notifier.of("WaitlistJoined")] == [1, 2, 3]

    async def test_not_while_the_seats_are_free(self, client):
        session = await make_session(capacity=3)
        await book(client, await make_user(), session["id"], 2)
        response = await join(client, await make_user(), session["id"], 1)
        assert response.status_code == 409 and response.json()["type"].endswith("/invalid-state")
        assert "book instead" in response.json()["detail"]
        assert (await join(client, await make_user(), session["id"], 2)).status_code == 201

    async def test_disabled(self, client):
        session, _, _ = await full_session(client, waitlist_enabled=False)
        response = await join(client, await make_user(), session["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/waitlist-disabled")

    async def test_one_active_entry_or_booking_per_participant(self, client):
        session, holder, _ = await full_session(client)
        user = await make_user()
        assert (await join(client, user, session["id"])).status_code == 201
        for response in (await join(client, user, session["id"]), await join(client, holder, session["id"]),
                          await book(client, user, session["id"])):
            assert response.status_code == 409 and response.json()["type"].endswith("/already-booked")

    async def test_closed_sessions(self, client, clock):
        session, _, _ = await full_session(client)
        clock.set(session["starts_at"])
        response = await join(client, await make_user(), session["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/booking-closed")

    @pytest.mark.parametrize("seats", [0, "x", 5])
    async def test_bad_seats(self, client, seats):
        session, _, _ = await full_session(client)
        response = await join(client, await make_user(), session["id"], seats)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "seats"

    async def test_anonymous_and_unknown(self, client):
        session, _, _ = await full_session(client)
        assert (await client.post(f"/api/v1/sessions/{session['id']}/waitlist", json={})).status_code == 401
        assert (await join(client, await make_user(), 777777)).status_code == 404

    async def test_my_waitlist_with_positions(self, client):
        session, _, _ = await full_session(client)
        other, _, _ = await full_session(client)
        me = await make_user()
        await join(client, await make_user(), session["id"])
        await join(client, me, session["id"], 2)
        await join(client, me, other["id"])
        page = (await client.get("/api/v1/me/waitlist", headers=auth(me))).json()
        assert page["total"] == 2
        assert [(e["session_id"], e["position"], e["seats"]) for e in page["items"]] == [
            (other["id"], 1, 1), (session["id"], 2, 2)]


class TestLeave:
    async def test_leave_and_positions_move_up(self, client):
        session, _, _ = await full_session(client)
        first, second = await make_user(), await make_user()
        entry = (await join(client, first, session["id"])).json()
        await join(client, second, session["id"])
        response = await client.delete(f"/api/v1/waitlist/{entry['id']}", headers=auth(first))
        assert response.status_code == 204
        assert await entry_status(entry["id"]) == "withdrawn"
        page = (await client.get("/api/v1/me/waitlist", headers=auth(second))).json()
        assert page["items"][0]["position"] == 1
        again = await client.delete(f"/api/v1/waitlist/{entry['id']}", headers=auth(first))
        assert again.status_code == 409 and again.json()["type"].endswith("/invalid-state")
        # leaving frees the slot: joining again is allowed
        assert (await join(client, first, session["id"])).json()["position"] == 2

    async def test_only_its_participant(self, client):
        session, holder, _ = await full_session(client)
        entry = (await join(client, await make_user(), session["id"])).json()
        assert (await client.delete(f"/api/v1/waitlist/{entry['id']}", headers=auth(holder))).status_code == 403
        assert (await client.delete(f"/api/v1/waitlist/{entry['id']}")).status_code == 401
        assert (await client.delete("/api/v1/waitlist/99999", headers=auth(holder))).status_code == 404


class TestAutoPromotion:
    async def test_a_cancellation_books_the_first_in_line(self, client, notifier):
        session, holder, booking = await full_session(client, capacity=2)
        first, second = await make_user(), await make_user()
        e1 = (await join(client, first, session["id"], 2)).json()
        e2 = (await join(client, second, session["id"], 1)).json()
        await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=auth(holder))
        assert await entry_status(e1["id"]) == "booked" and await entry_status(e2["id"]) == "waiting"
        confirmed = [e for e in notifier.of("BookingConfirmed") if e.via_waitlist]
        assert [(e.user_id, e.session_id) for e in confirmed] == [(first["id"], session["id"])]
        mine = (await client.get("/api/v1/me/bookings", headers=auth(first))).json()["items"]
        assert [(b["status"], b["seats"]) for b in mine] == [("confirmed", 2)]
        entry = (await client.get("/api/v1/me/waitlist", headers=auth(first))).json()["items"][0]
        assert entry["status"] == "booked" and entry["booking_id"] == mine[0]["id"] and entry["position"] is None

    async def test_an_entry_too_big_is_skipped_for_a_smaller_one(self, client):
        session = await make_session(await make_workshop(capacity=3))
        small_holder, big_holder = await make_user(), await make_user()
        small = (await book(client, small_holder, session["id"], 1)).json()
        await book(client, big_holder, session["id"], 2)
        big, little = await make_user(), await make_user()
        e_big = (await join(client, big, session["id"], 2)).json()
        e_little = (await join(client, little, session["id"], 1)).json()
        await client.post(f"/api/v1/bookings/{small['id']}/cancel", headers=auth(small_holder))
        assert await entry_status(e_big["id"]) == "waiting"
        assert await entry_status(e_little["id"]) == "booked"


class TestOffers:
    async def offered(self, client, ttl=60):
        session, holder, booking = await full_session(client, capacity=1, waitlist_mode="offer",
                                                      offer_ttl_minutes=ttl)
        first, second = await make_user(), await make_user()
        e1 = (await join(client, first, session["id"])).json()
        e2 = (await join(client, second, session["id"])).json()
        await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=auth(holder))
        return session, (first, e1), (second, e2)

    async def test_the_seat_is_held_for_the_offer(self, client, clock, notifier):
        session, (first, e1), _ = await self.offered(client)
        assert await entry_status(e1["id"]) == "offered"
        offer = notifier.of("WaitlistOffered")[0]
        assert offer.entry_id == e1["id"] and offer.offer_expires_at == clock.now() + dt.timedelta(minutes=60)
        mine = (await client.get("/api/v1/me/waitlist", headers=auth(first))).json()["items"][0]
        assert dt.datetime.fromisoformat(mine["offer_expires_at"]) == offer.offer_expires_at
        response = await book(client, await make_user(), session["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/session-full")

    async def test_accept(self, client, notifier):
        _, (first, e1), (_, e2) = await self.offered(client)
        response = await client.post(f"/api/v1/waitlist/{e1['id']}/accept", headers=auth(first))
        assert response.status_code == 201 and response.json()["status"] == "confirmed"
        assert await entry_status(e1["id"]) == "booked" and await entry_status(e2["id"]) == "waiting"
        assert notifier.of("BookingConfirmed")[-1].via_waitlist
        again = await client.post(f"/api/v1/waitlist/{e1['id']}/accept", headers=auth(first))
        assert again.status_code == 409 and again.json()["type"].endswith("/invalid-state")

    async def test_only_its_participant_may_accept_and_only_an_offer(self, client):
        _, (_, e1), (second, e2) = await self.offered(client)
        assert (await client.post(f"/api/v1/waitlist/{e1['id']}/accept", headers=auth(second))).status_code == 403
        waiting = await client.post(f"/api/v1/waitlist/{e2['id']}/accept", headers=auth(second))
        assert waiting.status_code == 409 and waiting.json()["type"].endswith("/invalid-state")

    async def test_an_expired_offer_moves_on(self, client, clock, runtime, notifier):
        _, (first, e1), (_, e2) = await self.offered(client, ttl=30)
        clock.advance(minutes=30)
        done = await run_once(runtime)
        assert done["booking.expire_offers"] == 1
        assert await entry_status(e1["id"]) == "expired" and await entry_status(e2["id"]) == "offered"
        assert [e.entry_id for e in notifier.of("OfferExpired")] == [e1["id"]]
        response = await client.post(f"/api/v1/waitlist/{e1['id']}/accept", headers=auth(first))
        assert response.status_code == 409 and response.json()["type"].endswith("/offer-expired")
        assert (await run_once(runtime))["booking.expire_offers"] == 0  # idempotent

    async def test_accepting_at_the_deadline_is_too_late_even_before_the_worker_runs(self, client, clock):
        _, (first, e1), (_, e2) = await self.offered(client, ttl=30)
        clock.advance(minutes=30)
        response = await client.post(f"/api/v1/waitlist/{e1['id']}/accept", headers=auth(first))
        assert response.status_code == 409 and response.json()["type"].endswith("/offer-expired")
        assert await entry_status(e2["id"]) == "offered"

    async def test_declining_an_offer_passes_it_on(self, client):
        _, (first, e1), (_, e2) = await self.offered(client)
        assert (await client.delete(f"/api/v1/waitlist/{e1['id']}", headers=auth(first))).status_code == 204
        assert await entry_status(e1["id"]) == "withdrawn" and await entry_status(e2["id"]) == "offered"

    async def test_an_offer_cannot_be_accepted_after_the_start(self, client, clock):
        session, (first, e1), _ = await self.offered(client, ttl=60 * 24 * 8)
        clock.set(session["starts_at"])
        response = await client.post(f"/api/v1/waitlist/{e1['id']}/accept", headers=auth(first))
        assert response.status_code == 409 and response.json()["type"].endswith("/booking-closed")
