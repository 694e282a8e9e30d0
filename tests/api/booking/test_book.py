"""POST /api/v1/sessions/{id}/bookings: seats, closing rules, idempotency, bad input."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, rows


class TestBookSeat:
    async def test_free_booking_is_confirmed_at_once(self, client, notifier, clock):
        session, user = await make_session(capacity=5), await make_user()
        response = await book(client, user, session["id"], 2)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["session_id"] == session["id"] and body["user_id"] == user["id"]
        assert body["seats"] == 2 and body["status"] == "confirmed" and body["attendance"] == "unknown"
        assert body["amount_cents"] == 0 and body["currency"] == "eur" and body["late_cancellation"] is False
        assert dt.datetime.fromisoformat(body["created_at"]) == clock.now()
        assert "hold_expires_at" not in body and "checkout_url" not in body
        assert notifier.names() == ["BookingConfirmed"]
        assert notifier.events[0].booking_id == body["id"] and not notifier.events[0].via_waitlist
        outbox = await rows("SELECT kind FROM outbox_message")
        assert [r["kind"] for r in outbox] == ["BookingConfirmed"]

    async def test_on_site_booking_owes_price_times_seats(self, client):
        workshop = await make_workshop(payment="on_site", price_cents=1250, currency="chf")
        session, user = await make_session(workshop), await make_user()
        body = (await book(client, user, session["id"], 3)).json()
        assert (body["status"], body["amount_cents"], body["currency"]) == ("confirmed", 3750, "chf")

    async def test_no_body_books_one_seat(self, client):
        session, user = await make_session(), await make_user()
        response = await book(client, user, session["id"], body=None)
        assert response.status_code == 201 and response.json()["seats"] == 1

    async def test_checkin_codes_are_long_random_and_distinct(self, client):
        session = await make_session(capacity=10)
        codes = [(await book(client, await make_user(), session["id"])).json()["checkin_code"]
                 for _ in range(5)]
        # 16 base32 characters (80 bits), shown in groups of four
        assert len(set(codes)) == 5 and all(len(c.replace("-", "")) == 16 and c.replace("-", "").isalnum()
                                           for c in codes)

    async def test_the_booking_is_readable_afterwards(self, client):
        session, user = await make_session(), await make_user()
        created = (await book(client, user, session["id"])).json()
        read = await client.get(f"/api/v1/bookings/{created['id']}", headers=auth(user))
        assert read.status_code == 200 and read.json() == created

    async def test_stripe_is_refused_until_payments_exist(self, client):
        workshop = await make_workshop(payment="stripe", price_cents=2000)
        session, user = await make_session(workshop), await make_user()
        response = await book(client, user, session["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/payments-not-configured")
        assert await rows("SELECT id FROM booking") == []


class TestRefusals:
    async def test_full_session(self, client, notifier):
        session = await make_session(capacity=3)
        assert (await book(client, await make_user(), session["id"], 2)).status_code == 201
        response = await book(client, await make_user(), session["id"], 2)
        assert response.status_code == 409 and response.json()["type"].endswith("/session-full")
        assert response.json()["seats_left"] == 1
        assert (await book(client, await make_user(), session["id"], 1)).status_code == 201
        assert notifier.names() == ["BookingConfirmed", "BookingConfirmed"]

    async def test_one_active_booking_per_participant(self, client):
        session, user = await make_session(), await make_user()
        assert (await book(client, user, session["id"])).status_code == 201
        again = await book(client, user, session["id"])
        assert again.status_code == 409 and again.json()["type"].endswith("/already-booked")

    async def test_the_database_refuses_a_second_active_slot_too(self, client, is_postgres):
        session, user = await make_session(), await make_user()
        first = (await book(client, user, session["id"])).json()
        from booking.tables import Booking

        with pytest.raises(Exception) as caught:
            await Booking.insert(Booking(session=session["id"], user=user["id"], seats=1, status="confirmed",
                                         checkin_code="X" * 16, active_slot=f"{session['id']}:{user['id']}"))
        assert "unique" in str(caught.value).lower() or "UNIQUE" in str(caught.value)
        assert first["status"] == "confirmed"

    async def test_a_cancelled_booking_frees_the_slot(self, client):
        session, user = await make_session(), await make_user()
        first = (await book(client, user, session["id"])).json()
        assert (await client.post(f"/api/v1/bookings/{first['id']}/cancel", headers=auth(user))).status_code == 200
        assert (await book(client, user, session["id"])).status_code == 201

    @pytest.mark.parametrize("case", ["started", "cancelled", "draft", "submitted"])
    async def test_booking_closed(self, client, clock, case):
        if case == "started":
            session = await make_session(starts_at=clock.now() - dt.timedelta(minutes=1))
        elif case == "cancelled":
            session = await make_session(status="cancelled")
        else:  # an unpublished workshop: closed to those who may see it (its host) …
            host = await make_user()
            session = await make_session(await make_workshop(host, status=case))
            response = await book(client, host, session["id"])
            assert response.status_code == 409 and response.json()["type"].endswith("/booking-closed")
            # … and, to anyone else, not there at all (a 409 would reveal it: finding 13)
            response = await book(client, await make_user(), session["id"])
            assert response.status_code == 404 and response.json()["type"].endswith("/not-found")
            return
        response = await book(client, await make_user(), session["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/booking-closed")

    async def test_booking_closes_at_the_start_instant(self, client, clock):
        session = await make_session(starts_at=clock.now() + dt.timedelta(hours=1))
        clock.advance(hours=1)
        response = await book(client, await make_user(), session["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/booking-closed")

    @pytest.mark.parametrize("session_id", [999_999, 2**31, 10**30])
    async def test_unknown_session(self, client, session_id):
        response = await book(client, await make_user(), session_id)
        assert response.status_code == 404 and response.json()["type"].endswith("/not-found")

    async def test_anonymous(self, client):
        session = await make_session()
        response = await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={})
        assert response.status_code == 401 and response.json()["type"].endswith("/not-authenticated")


class TestBadInput:
    @pytest.mark.parametrize("seats", [0, -1, "x", True, None, 1.5, 101])
    async def test_bad_seats_name_the_field(self, client, seats):
        session = await make_session()
        response = await book(client, await make_user(), session["id"], seats)
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["type"].endswith("/validation-error") and [e["field"] for e in body["errors"]] == ["seats"]

    async def test_more_than_the_workshop_allows(self, client):
        workshop = await make_workshop(max_seats_per_booking=2, capacity=10)
        session = await make_session(workshop)
        response = await book(client, await make_user(), session["id"], 3)
        assert response.status_code == 400
        assert response.json()["errors"] == [{"field": "seats", "message": "between 1 and 2 seats per booking"}]

    @pytest.mark.parametrize("raw", [b"{bad", b"[1]", b"\"seats\"", b"{\"seats\": 1"])
    async def test_malformed_json(self, client, raw):
        session, user = await make_session(), await make_user()
        response = await client.post(f"/api/v1/sessions/{session['id']}/bookings", content=raw,
                                     headers={**auth(user), "content-type": "application/json"})
        assert response.status_code == 400 and response.json()["type"].endswith("/validation-error")

    async def test_overlong_idempotency_key(self, client):
        session = await make_session()
        response = await book(client, await make_user(), session["id"], body={}, key="k" * 201)
        assert response.status_code == 400 and response.json()["type"].endswith("/validation-error")


class TestIdempotency:
    async def test_replay_answers_the_same_booking(self, client, notifier):
        session, user = await make_session(), await make_user()
        first = await book(client, user, session["id"], 2, key="abc")
        again = await book(client, user, session["id"], 2, key="abc")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert len(await rows("SELECT id FROM booking")) == 1
        assert notifier.names() == ["BookingConfirmed"]

    async def test_default_body_equals_explicit_one_seat(self, client):
        session, user = await make_session(), await make_user()
        first = await book(client, user, session["id"], body=None, key="k1")
        again = await book(client, user, session["id"], 1, key="k1")
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]

    async def test_same_key_other_body_is_refused(self, client):
        session, other, user = await make_session(), await make_session(), await make_user()
        await book(client, user, session["id"], 1, key="abc")
        for sid, seats in ((session["id"], 2), (other["id"], 1)):
            response = await book(client, user, sid, seats, key="abc")
            assert response.status_code == 422 and response.json()["type"].endswith("/idempotency-key-reused")

    async def test_keys_belong_to_their_user(self, client):
        session, alice, bob = await make_session(), await make_user(), await make_user()
        a = await book(client, alice, session["id"], body={}, key="same")
        b = await book(client, bob, session["id"], body={}, key="same")
        assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] != b.json()["id"]

    async def test_a_refused_request_leaves_no_key(self, client):
        session = await make_session(capacity=1)
        await book(client, await make_user(), session["id"])
        user = await make_user()
        full = await book(client, user, session["id"], body={}, key="retry-me")
        assert full.status_code == 409
        assert await rows("SELECT id FROM booking_idempotency_key") == []

    async def test_concurrent_retries_make_one_booking(self, client, notifier):
        session, user = await make_session(capacity=50), await make_user()
        answers = await asyncio.gather(*[
            book(client, user, session["id"], 1, key="storm") for _ in range(20)])
        assert sorted(r.status_code for r in answers) == [200] * 19 + [201]
        assert len({r.json()["id"] for r in answers}) == 1
        assert len(await rows("SELECT id FROM booking")) == 1
        assert notifier.names() == ["BookingConfirmed"]

    async def test_keys_are_purged_after_a_day(self, client, clock, runtime):
        from alveole.worker import run_once

        session, user = await make_session(), await make_user()
        await book(client, user, session["id"], body={}, key="old")
        clock.advance(hours=23)
        await run_once(runtime)
        assert len(await rows("SELECT id FROM booking_idempotency_key")) == 1
        clock.advance(hours=1, seconds=1)
        done = await run_once(runtime)
        assert done["booking.purge_idempotency_keys"] == 1
        assert await rows("SELECT id FROM booking_idempotency_key") == []


class TestOrganizers:
    async def test_host_and_organizer_may_book_as_participants(self, client):
        organizer, host = await make_user(), await make_user()
        community = await make_community(organizers=(organizer,))
        session = await make_session(await make_workshop(host=host, community=community))
        assert (await book(client, host, session["id"])).status_code == 201
        assert (await book(client, organizer, session["id"])).status_code == 201
