"""Exact Content-Type headers of notify's answers (one charset, said once) and the personal
feed's events as RFC 5546 wants them for METHOD:PUBLISH: an ORGANIZER, no ATTENDEE."""
from __future__ import annotations

import icalendar
import vobject

from accounts.tables import User
from alveole.worker import run_once
from kernel.events import BookingConfirmed
from notify.jobs import JOBS
from notify.outbox import insert_rows
from tests.factories import auth, make_booking_row, make_community, make_session, make_user, make_workshop


async def feed_path(user) -> str:
    row = await User.select(User.calendar_token).where(User.id == user["id"]).first()
    return f"/calendar/{row['calendar_token']}/feed.ics"


def content_type(answer) -> str:
    (value,) = answer.headers.get_list("content-type")  # one header, not two
    assert value.lower().count("charset") == 1, value
    return value


class TestContentType:
    async def test_the_personal_feed(self, client):
        alice = await make_user()
        await make_booking_row(await make_session(), alice)
        answer = await client.get(await feed_path(alice))
        assert answer.status_code == 200
        assert content_type(answer) == "text/calendar; charset=utf-8"

    async def test_the_community_feed(self, client):
        community = await make_community()
        await make_session(workshop=await make_workshop(community=community))
        answer = await client.get(f"/api/v1/communities/{community['slug']}/calendar.ics")
        assert answer.status_code == 200
        assert content_type(answer) == "text/calendar; charset=utf-8"

    async def test_the_invite_download_request_and_cancel(self, client):
        alice = await make_user()
        confirmed = await make_booking_row(await make_session(), alice)
        cancelled = await make_booking_row(await make_session(), alice, status="cancelled")
        answer = await client.get(f"/api/v1/bookings/{confirmed['id']}/invite.ics", headers=auth(alice))
        assert content_type(answer) == "text/calendar; method=REQUEST; charset=utf-8"
        answer = await client.get(f"/api/v1/bookings/{cancelled['id']}/invite.ics", headers=auth(alice))
        assert content_type(answer) == "text/calendar; method=CANCEL; charset=utf-8"

    async def test_the_dev_outbox_pages_and_files(self, client, runtime, clock):
        alice = await make_user()
        session = await make_session()
        booking = await make_booking_row(session, alice)
        await insert_rows(runtime.notifier.outbox_rows([BookingConfirmed(
            at=clock.now(), booking_id=booking["id"], session_id=session["id"], user_id=alice["id"])]),
            clock.now())
        await run_once(runtime, JOBS)
        assert content_type(await client.get("/dev/outbox")) == "text/html; charset=utf-8"
        assert content_type(await client.get("/dev/outbox/1")) == "text/html; charset=utf-8"
        assert content_type(await client.get("/dev/outbox/1/invite.ics")) == \
            "text/calendar; method=REQUEST; charset=utf-8"


class TestPersonalFeedEvents:
    async def test_the_host_is_the_organizer_and_there_is_no_attendee(self, client):
        host = await make_user(display_name="Hélène Hôte")
        alice = await make_user()
        booking = await make_booking_row(await make_session(await make_workshop(host=host)), alice)
        text = (await client.get(await feed_path(alice))).text

        calendar = icalendar.Calendar.from_ical(text)
        assert calendar["METHOD"] == "PUBLISH"
        (event,) = calendar.walk("VEVENT")
        assert str(event["ORGANIZER"]) == "mailto:noreply@localhost"  # the sender's, never the host's
        assert event["ORGANIZER"].params["CN"] == "Hélène Hôte"
        assert "ATTENDEE" not in event
        card = vobject.readOne(text, validate=True)
        assert "organizer" in card.vevent.contents and "attendee" not in card.vevent.contents

        # the participant's own invite still names them as its attendee
        invite = await client.get(f"/api/v1/bookings/{booking['id']}/invite.ics", headers=auth(alice))
        (invited,) = icalendar.Calendar.from_ical(invite.text).walk("VEVENT")
        assert str(invited["ATTENDEE"]) == f"mailto:{alice['email']}"
        assert str(invited["ORGANIZER"]) == "mailto:noreply@localhost"
