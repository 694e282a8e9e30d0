"""Cancelling bookings, reading them, listing mine: rules and who may do what."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import auth, make_community, make_session, make_user, make_workshop
from tests.integration.booking.support import book


async def cancel(client, user, booking_id):
    return await client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=auth(user) if user else {})


@pytest.fixture
async def cast(clock):
    """A session (starting in 7 days, deadline 24 h) with its host, an organizer of its
    community, and strangers of every kind."""
    host, organizer, participant = await make_user(), await make_user(), await make_user()
    community = await make_community(organizers=(organizer,))
    workshop = await make_workshop(host=host, community=community, cancellation_deadline_hours=24)
    session = await make_session(workshop, starts_at=clock.now() + dt.timedelta(days=7))
    other_organizer = await make_user()
    await make_workshop(host=(other_host := await make_user()),
                        community=await make_community(organizers=(other_organizer,)))
    return dict(host=host, organizer=organizer, participant=participant, session=session,
                other_participant=await make_user(), other_host=other_host, other_organizer=other_organizer)


class TestCancelBooking:
    async def test_participant_cancels_before_the_deadline(self, client, cast, notifier):
        booking = (await book(client, cast["participant"], cast["session"]["id"], 2, expect=201)).json()
        response = await cancel(client, cast["participant"], booking["id"])
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled" and response.json()["late_cancellation"] is False
        event = notifier.of("BookingCancelled")[0]
        assert (event.booking_id, event.by, event.late) == (booking["id"], "participant", False)

    async def test_after_the_deadline_it_is_flagged_late(self, client, cast, clock):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        clock.set(cast["session"]["starts_at"] - dt.timedelta(hours=24))
        response = await cancel(client, cast["participant"], booking["id"])
        assert response.status_code == 200 and response.json()["late_cancellation"] is True

    async def test_just_before_the_deadline_is_not_late(self, client, cast, clock):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        clock.set(cast["session"]["starts_at"] - dt.timedelta(hours=24, seconds=1))
        assert (await cancel(client, cast["participant"], booking["id"])).json()["late_cancellation"] is False

    async def test_not_once_the_session_has_started(self, client, cast, clock):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        clock.set(cast["session"]["starts_at"])
        response = await cancel(client, cast["participant"], booking["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/booking-closed")

    async def test_cancelling_twice(self, client, cast):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        await cancel(client, cast["participant"], booking["id"])
        response = await cancel(client, cast["participant"], booking["id"])
        assert response.status_code == 409 and response.json()["type"].endswith("/invalid-state")

    @pytest.mark.parametrize("who", ["host", "organizer"])
    async def test_host_and_organizer_may_cancel_and_it_is_never_late(self, client, cast, clock, notifier, who):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        clock.set(cast["session"]["starts_at"] - dt.timedelta(hours=1))
        response = await cancel(client, cast[who], booking["id"])
        assert response.status_code == 200 and response.json()["late_cancellation"] is False
        assert notifier.of("BookingCancelled")[0].by == who

    @pytest.mark.parametrize("who", ["other_participant", "other_host", "other_organizer"])
    async def test_others_may_not(self, client, cast, who):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        response = await cancel(client, cast[who], booking["id"])
        assert response.status_code == 403 and response.json()["type"].endswith("/forbidden")
        mine = await client.get(f"/api/v1/bookings/{booking['id']}", headers=auth(cast["participant"]))
        assert mine.json()["status"] == "confirmed"

    async def test_anonymous_and_unknown(self, client, cast):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        assert (await cancel(client, None, booking["id"])).status_code == 401
        assert (await cancel(client, cast["participant"], 987654)).status_code == 404

    async def test_cancellation_frees_the_seats(self, client, cast):
        session = await make_session(capacity=1)
        first = (await book(client, cast["participant"], session["id"], expect=201)).json()
        await cancel(client, cast["participant"], first["id"])
        await book(client, cast["other_participant"], session["id"], expect=201)


class TestReadBooking:
    @pytest.mark.parametrize("who", ["participant", "host", "organizer"])
    async def test_parties_may_read(self, client, cast, who):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        response = await client.get(f"/api/v1/bookings/{booking['id']}", headers=auth(cast[who]))
        assert response.status_code == 200 and response.json() == booking

    @pytest.mark.parametrize("who", ["other_participant", "other_host", "other_organizer"])
    async def test_others_may_not(self, client, cast, who):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        response = await client.get(f"/api/v1/bookings/{booking['id']}", headers=auth(cast[who]))
        assert response.status_code == 403

    async def test_anonymous_and_unknown(self, client, cast):
        booking = (await book(client, cast["participant"], cast["session"]["id"], expect=201)).json()
        assert (await client.get(f"/api/v1/bookings/{booking['id']}")).status_code == 401
        assert (await client.get("/api/v1/bookings/424242", headers=auth(cast["participant"]))).status_code == 404
        assert (await client.get(f"/api/v1/bookings/{2**40}", headers=auth(cast["participant"]))).status_code == 404


class TestMyBookings:
    async def test_newest_first_with_paging(self, client, clock):
        user = await make_user()
        ids = []
        for _ in range(3):
            ids.append((await book(client, user, (await make_session())["id"], expect=201)).json()["id"])
            clock.advance(minutes=1)
        await book(client, await make_user(), (await make_session())["id"], expect=201)  # someone else's
        page = (await client.get("/api/v1/me/bookings", headers=auth(user))).json()
        assert page["total"] == 3 and [b["id"] for b in page["items"]] == ids[::-1]
        page = (await client.get("/api/v1/me/bookings?limit=1&offset=1", headers=auth(user))).json()
        assert page["total"] == 3 and [b["id"] for b in page["items"]] == [ids[1]]

    @pytest.mark.parametrize("query", ["limit=0", "limit=201", "offset=-1", "limit=x"])
    async def test_bad_paging(self, client, query):
        response = await client.get(f"/api/v1/me/bookings?{query}", headers=auth(await make_user()))
        assert response.status_code == 400 and response.json()["type"].endswith("/validation-error")

    async def test_anonymous(self, client):
        assert (await client.get("/api/v1/me/bookings")).status_code == 401
