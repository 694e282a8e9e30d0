"""PATCH /api/v1/sessions/{id} and POST /api/v1/sessions/{id}/cancel."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book, join, rows


@pytest.fixture
async def cast(clock):
    host, organizer = await make_user(), await make_user()
    community = await make_community(organizers=(organizer,))
    workshop = await make_workshop(host=host, community=community, capacity=4)
    session = await make_session(workshop, starts_at=dt.datetime(2026, 12, 10, 17, 0, tzinfo=dt.timezone.utc))
    other_organizer, other_host = await make_user(), await make_user()
    await make_workshop(host=other_host, community=await make_community(organizers=(other_organizer,)))
    return dict(host=host, organizer=organizer, session=session, participant=await make_user(),
                other_host=other_host, other_organizer=other_organizer)


async def patch(client, user, session_id, body):
    return await client.patch(f"/api/v1/sessions/{session_id}", json=body, headers=auth(user) if user else {})


class TestChangeSession:
    async def test_new_times_bump_the_sequence_and_tell_the_confirmed(self, client, cast, notifier):
        sid = cast["session"]["id"]
        booking = (await book(client, cast["participant"], sid, expect=201)).json()
        cancelled = (await book(client, await make_user(), sid, expect=201)).json()
        await client.post(f"/api/v1/bookings/{cancelled['id']}/cancel", headers=auth(cast["host"]))
        response = await patch(client, cast["host"], sid, {"starts_at": "2026-12-10T19:00:00+01:00",
                                                           "ends_at": "2026-12-10T21:00:00+01:00"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["sequence"] == 1 and body["timezone"] == "Europe/Paris"
        assert dt.datetime.fromisoformat(body["starts_at"]) == dt.datetime(2026, 12, 10, 18, 0, tzinfo=dt.timezone.utc)
        assert body["starts_at"].endswith("+01:00")
        assert (body["capacity"], body["seats_taken"], body["seats_left"], body["waitlist_length"]) == (4, 1, 3, 0)
        [event] = notifier.of("SessionUpdated")
        assert (event.session_id, event.sequence, event.booking_ids) == (sid, 1, (booking["id"],))

    async def test_naive_times_are_read_in_the_sessions_zone(self, client, cast):
        body = (await patch(client, cast["host"], cast["session"]["id"],
                            {"starts_at": "2026-12-11T10:00:00", "ends_at": "2026-12-11T12:00:00"})).json()
        assert dt.datetime.fromisoformat(body["starts_at"]) == dt.datetime(2026, 12, 11, 9, 0, tzinfo=dt.timezone.utc)

    async def test_the_same_times_or_a_new_zone_alone_bump_nothing(self, client, cast, notifier):
        sid = cast["session"]["id"]
        same = cast["session"]["starts_at"].isoformat()
        assert (await patch(client, cast["host"], sid, {"starts_at": same})).json()["sequence"] == 0
        body = (await patch(client, cast["host"], sid, {"timezone": "America/New_York"})).json()
        assert body["sequence"] == 0 and body["timezone"] == "America/New_York"
        assert body["starts_at"].endswith("-05:00")
        assert notifier.of("SessionUpdated") == []

    @pytest.mark.parametrize("body, field", [
        ({"ends_at": "2026-12-10T16:00:00Z"}, "ends_at"),
        ({"starts_at": "2026-11-30T10:00:00Z"}, "starts_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "ten"}, "capacity"),
        ({"starts_at": "tomorrow"}, "starts_at"),
    ])
    async def test_bad_input_names_the_field(self, client, cast, body, field):
        response = await patch(client, cast["host"], cast["session"]["id"], body)
        assert response.status_code == 400, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]

    async def test_capacity_below_the_seats_taken(self, client, cast):
        sid = cast["session"]["id"]
        await book(client, cast["participant"], sid, 3, expect=201)
        response = await patch(client, cast["host"], sid, {"capacity": 2})
        assert response.status_code == 409 and response.json()["type"].endswith("/capacity-below-bookings")
        assert (await patch(client, cast["host"], sid, {"capacity": 3})).json()["seats_left"] == 0

    async def test_a_larger_capacity_promotes_the_waitlist(self, client, cast, notifier):
        sid = cast["session"]["id"]
        await book(client, cast["participant"], sid, 4, expect=201)
        first, second = await make_user(), await make_user()
        await join(client, first, sid, 2, expect=201)
        await join(client, second, sid, 2, expect=201)
        body = (await patch(client, cast["host"], sid, {"capacity": 7})).json()
        assert (body["seats_taken"], body["seats_left"], body["waitlist_length"]) == (6, 1, 1)
        assert [e.user_id for e in notifier.of("BookingConfirmed") if e.via_waitlist] == [first["id"]]

    @pytest.mark.parametrize("who", ["organizer", "participant", "other_host", "other_organizer"])
    async def test_only_the_host(self, client, cast, who):
        response = await patch(client, cast[who], cast["session"]["id"], {"capacity": 9})
        assert response.status_code == 403

    async def test_anonymous_and_unknown(self, client, cast):
        assert (await patch(client, None, cast["session"]["id"], {"capacity": 9})).status_code == 401
        assert (await patch(client, cast["host"], 31337, {"capacity": 9})).status_code == 404

    async def test_not_once_started_or_cancelled(self, client, cast, clock):
        sid = cast["session"]["id"]
        await client.post(f"/api/v1/sessions/{sid}/cancel", json={"reason": "ill"}, headers=auth(cast["host"]))
        response = await patch(client, cast["host"], sid, {"capacity": 9})
        assert response.status_code == 409 and response.json()["type"].endswith("/invalid-state")
        started = await make_session(await make_workshop(host=cast["host"]), starts_at=clock.now())
        response = await patch(client, cast["host"], started["id"], {"capacity": 9})
        assert response.status_code == 409 and response.json()["type"].endswith("/invalid-state")


class TestCancelSession:
    async def cancel(self, client, user, session_id, reason="The host is ill"):
        return await client.post(f"/api/v1/sessions/{session_id}/cancel", json={"reason": reason},
                                 headers=auth(user) if user else {})

    @pytest.mark.parametrize("who", ["host", "organizer"])
    async def test_everything_is_cancelled_with_one_event(self, client, cast, notifier, who):
        sid = cast["session"]["id"]
        a = (await book(client, cast["participant"], sid, 2, expect=201)).json()
        b = (await book(client, await make_user(), sid, 2, expect=201)).json()
        waiting = (await join(client, await make_user(), sid, expect=201)).json()
        notifier.events.clear()
        response = await self.cancel(client, cast[who], sid)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["sequence"], body["seats_taken"], body["waitlist_length"]) == ("cancelled", 1, 0, 0)
        [event] = notifier.events
        assert event.name == "SessionCancelled"
        assert (event.sequence, event.reason, sorted(event.booking_ids)) == (1, "The host is ill", sorted([a["id"], b["id"]]))
        assert event.waitlist_entry_ids == (waiting["id"],)  # the waitlisted are told too
        stored = await rows("SELECT status, cancelled_by, active_slot FROM booking ORDER BY id")
        assert stored == [{"status": "cancelled", "cancelled_by": who, "active_slot": None}] * 2
        assert (await rows("SELECT status FROM waitlist_entry WHERE id = {}", waiting["id"]))[0]["status"] == "withdrawn"
        session_row = (await rows("SELECT status, cancel_reason FROM workshop_session WHERE id = {}", sid))[0]
        assert session_row == {"status": "cancelled", "cancel_reason": "The host is ill"}

    async def test_twice(self, client, cast):
        await self.cancel(client, cast["host"], cast["session"]["id"])
        response = await self.cancel(client, cast["host"], cast["session"]["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/invalid-state")

    @pytest.mark.parametrize("who", ["participant", "other_host", "other_organizer"])
    async def test_others_may_not(self, client, cast, who):
        assert (await self.cancel(client, cast[who], cast["session"]["id"])).status_code == 403

    async def test_a_reason_is_required(self, client, cast):
        for body in ({}, {"reason": ""}, {"reason": 5}):
            response = await client.post(f"/api/v1/sessions/{cast['session']['id']}/cancel", json=body,
                                         headers=auth(cast["host"]))
            assert response.status_code == 400 and response.json()["errors"][0]["field"] == "reason"
        response = await self.cancel(client, cast["host"], cast["session"]["id"], reason="   ")
        assert response.status_code == 400

    async def test_not_after_the_end(self, client, cast, clock):
        clock.set(cast["session"]["ends_at"])
        response = await self.cancel(client, cast["host"], cast["session"]["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/invalid-state")

    async def test_bookings_cannot_be_made_afterwards(self, client, cast):
        await self.cancel(client, cast["host"], cast["session"]["id"])
        response = await client.post(f"/api/v1/sessions/{cast['session']['id']}/bookings", json={},
                                     headers=auth(cast["participant"]))
        assert response.status_code == 409 and response.json()["type"].endswith("/booking-closed")
