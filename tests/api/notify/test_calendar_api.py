"""Calendar endpoints over HTTP: a booking's invite.ics, the personal feed, rotating its URL."""
from __future__ import annotations

import icalendar
import vobject

from accounts.tables import User
from kernel.events import BookingConfirmed, SessionUpdated
from alveole.worker import run_once
from notify.jobs import JOBS
from tests.factories import (
    auth,
    make_booking_row,
    make_community,
    make_session,
    make_user,
    make_workshop,
)


def problem_slug(response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()["type"].rsplit("/", 1)[-1]


def parse(text: str):
    calendar = icalendar.Calendar.from_ical(text)
    for component in calendar.walk():
        assert not component.errors
    vobject.readOne(text, validate=True)
    return calendar


async def feed_url_of(user) -> str:
    row = await User.select(User.calendar_token).where(User.id == user["id"]).first()
    return f"/calendar/{row['calendar_token']}/feed.ics"


class TestBookingInvite:
    async def test_the_participant_gets_a_request_with_the_invites_uid(self, client, runtime, clock):
        alice = await make_user()
        session = await make_session()
        booking = await make_booking_row(session, alice)
        answer = await client.get(f"/api/v1/bookings/{booking['id']}/invite.ics", headers=auth(alice))
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/calendar")
        assert "method=REQUEST" in answer.headers["content-type"]
        calendar = parse(answer.text)
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"session-{session['id']}-user-{alice['id']}@alveole"
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"

    async def test_sequence_follows_the_emails(self, client, runtime, clock):
        alice = await make_user()
        session = await make_session()
        booking = await make_booking_row(session, alice)
        rows = runtime.notifier.outbox_rows([
            BookingConfirmed(at=clock.now(), booking_id=booking["id"], session_id=session["id"], user_id=alice["id"]),
            SessionUpdated(at=clock.now(), session_id=session["id"], sequence=1, booking_ids=(booking["id"],))])
        from notify.outbox import insert_rows
        await insert_rows(rows, clock.now())
        await run_once(runtime, JOBS)
        answer = await client.get(f"/api/v1/bookings/{booking['id']}/invite.ics", headers=auth(alice))
        (event,) = parse(answer.text).walk("VEVENT")
        assert event["SEQUENCE"] == 1

    async def test_a_cancelled_booking_gives_a_cancel(self, client):
        alice = await make_user()
        booking = await make_booking_row(await make_session(), alice, status="cancelled")
        answer = await client.get(f"/api/v1/bookings/{booking['id']}/invite.ics", headers=auth(alice))
        assert answer.status_code == 200 and "method=CANCEL" in answer.headers["content-type"]
        calendar = parse(answer.text)
        assert calendar["METHOD"] == "CANCEL"
        assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"

    async def test_a_pending_payment_has_no_invite_yet(self, client):
        alice = await make_user()
        booking = await make_booking_row(await make_session(), alice, status="pending_payment")
        answer = await client.get(f"/api/v1/bookings/{booking['id']}/invite.ics", headers=auth(alice))
        assert answer.status_code == 409 and problem_slug(answer) == "invalid-state"

    async def test_only_its_participant(self, client):
        alice, stranger, organizer = await make_user(), await make_user(), await make_user()
        host = await make_user()
        community = await make_community(organizers=(organizer,))
        session = await make_session(await make_workshop(host=host, community=community))
        booking = await make_booking_row(session, alice)
        url = f"/api/v1/bookings/{booking['id']}/invite.ics"
        anonymous = await client.get(url)
        assert anonymous.status_code == 401 and problem_slug(anonymous) == "not-authenticated"
        for other in (stranger, host, organizer):
            answer = await client.get(url, headers=auth(other))
            assert answer.status_code == 403 and problem_slug(answer) == "forbidden"

    async def test_unknown_booking_and_bad_id(self, client):
        alice = await make_user()
        answer = await client.get("/api/v1/bookings/99999/invite.ics", headers=auth(alice))
        assert answer.status_code == 404 and problem_slug(answer) == "not-found"
        for huge in (2**31, 2**63, 10**30):
            answer = await client.get(f"/api/v1/bookings/{huge}/invite.ics", headers=auth(alice))
            assert answer.status_code == 404 and problem_slug(answer) == "not-found"
        answer = await client.get("/api/v1/bookings/abc/invite.ics", headers=auth(alice))
        assert answer.status_code in (400, 404) and answer.status_code != 500


class TestPersonalFeed:
    async def test_every_confirmed_booking_with_the_invite_uids(self, client):
        alice = await make_user()
        kept = [await make_booking_row(await make_session(), alice) for _ in range(2)]
        await make_booking_row(await make_session(), alice, status="cancelled")
        await make_booking_row(await make_session(), await make_user())  # someone else's
        answer = await client.get(await feed_url_of(alice))
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
        calendar = parse(answer.text)
        assert calendar["METHOD"] == "PUBLISH"
        assert sorted(str(e["UID"]) for e in calendar.walk("VEVENT")) == sorted(
            f"session-{b['session']['id']}-user-{alice['id']}@alveole" for b in kept)
        invite = await client.get(f"/api/v1/bookings/{kept[0]['id']}/invite.ics", headers=auth(alice))
        (invited,) = parse(invite.text).walk("VEVENT")
        assert str(invited["UID"]) in answer.text

    async def test_an_empty_feed_is_still_a_calendar(self, client):
        alice = await make_user()
        answer = await client.get(await feed_url_of(alice))
        assert answer.status_code == 200
        assert parse(answer.text).walk("VEVENT") == []

    async def test_unknown_token_is_a_404_problem(self, client):
        answer = await client.get("/calendar/not-a-real-token/feed.ics")
        assert answer.status_code == 404 and problem_slug(answer) == "not-found"


class TestRotateCalendarToken:
    async def test_revokes_the_old_url_and_answers_the_new_one(self, client):
        alice = await make_user()
        await make_booking_row(await make_session(), alice)
        old = await feed_url_of(alice)
        answer = await client.post("/api/v1/me/calendar-token", headers=auth(alice))
        assert answer.status_code == 200
        new_url = answer.json()["calendar_url"]
        assert new_url.startswith("http://alveole.test/calendar/") and new_url.endswith("/feed.ics")
        assert (await client.get(old)).status_code == 404
        fresh = await client.get(new_url.removeprefix("http://alveole.test"))
        assert fresh.status_code == 200 and len(parse(fresh.text).walk("VEVENT")) == 1
        me = await client.get("/api/v1/me", headers=auth(alice))
        assert me.json()["calendar_url"] == new_url

    async def test_anonymous_cannot(self, client):
        answer = await client.post("/api/v1/me/calendar-token")
        assert answer.status_code == 401 and problem_slug(answer) == "not-authenticated"

    async def test_documented_in_openapi(self, client):
        paths = (await client.get("/schema/openapi.json")).json()["paths"]
        assert "post" in paths["/api/v1/me/calendar-token"]
        assert "401" in paths["/api/v1/me/calendar-token"]["post"]["responses"]
        assert set(paths["/api/v1/bookings/{booking_id}/invite.ics"]["get"]["responses"]) >= {
            "200", "401", "403", "404", "409"}
        assert "/calendar/{token}/feed.ics" in paths
        assert not any(p.startswith("/dev/") for p in paths)
