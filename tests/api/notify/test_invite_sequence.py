"""The downloaded invite.ics, the personal feed and the emails share one SEQUENCE per
(session, participant) UID: a download shows the UID's current state at a SEQUENCE never
below any message already sent, two files with the same SEQUENCE always describe the same
state, and an old (cancelled) booking's download can never cancel a newer live booking."""
from __future__ import annotations

import email
import email.policy
import re

import icalendar
import vobject

from accounts.tables import User
from alveole.worker import run_once
from tests.factories import (
    auth,
    make_booking_row,
    make_community,
    make_session,
    make_user,
    make_workshop,
)


def parse(text: str):
    calendar = icalendar.Calendar.from_ical(text)
    for component in calendar.walk():
        assert not component.errors, component.errors
    vobject.readOne(text, validate=True)
    return calendar


def emailed(settings, address: str) -> list[tuple[str, int, str]]:
    """(METHOD, SEQUENCE, UID) of every invite.ics emailed to `address`, in outbox order."""
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in settings.mail_dir.glob("*.eml")]
    messages.sort(key=lambda m: int(re.match(r"<outbox\.(\d+)\.", m["Message-ID"]).group(1)))
    found = []
    for message in messages:
        if message["To"].addresses[0].addr_spec != address:
            continue
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                calendar = parse(part.get_content())
                (event,) = calendar.walk("VEVENT")
                assert part.get_param("method") == str(calendar["METHOD"])
                found.append((str(calendar["METHOD"]), int(event["SEQUENCE"]), str(event["UID"])))
    return found


async def download(client, booking_id: int, user) -> tuple[str, int, str]:
    answer = await client.get(f"/api/v1/bookings/{booking_id}/invite.ics", headers=auth(user))
    assert answer.status_code == 200, answer.text
    calendar = parse(answer.text)
    (event,) = calendar.walk("VEVENT")
    method = str(calendar["METHOD"])
    assert f"method={method}" in answer.headers["content-type"]
    assert str(event["STATUS"]) == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    return method, int(event["SEQUENCE"]), str(event["UID"])


async def feed_events(client, user) -> list:
    row = await User.select(User.calendar_token).where(User.id == user["id"]).first()
    answer = await client.get(f"/calendar/{row['calendar_token']}/feed.ics")
    assert answer.status_code == 200
    return parse(answer.text).walk("VEVENT")


class TestDownloadsFollowTheEmails:
    async def test_book_cancel_rebook_downloads_never_lag_nor_contradict_the_emails(
            self, client, runtime, clock, settings):
        host, alice = await make_user(), await make_user()
        session = await make_session(await make_workshop(host=host, community=await make_community()))
        sid = session["id"]
        uid = f"session-{sid}-user-{alice['id']}@alveole"
        downloads: list[tuple[str, tuple[str, int, str]]] = []  # (what, file), in time order

        async def check(what: str, booking_id: int, expected_method: str) -> None:
            sent = emailed(settings, alice["email"])
            got = await download(client, booking_id, alice)
            downloads.append((what, got))
            assert got[0] == expected_method, (what, got)
            assert got[2] == uid
            # never below a message already sent
            assert got[1] >= max((seq for _, seq, _ in sent), default=0), (what, got, sent)

        booked = await client.post(f"/api/v1/sessions/{sid}/bookings", json={"seats": 1}, headers=auth(alice))
        assert booked.status_code == 201, booked.text
        first = booked.json()["id"]
        await check("booked, email not sent yet", first, "REQUEST")
        await run_once(runtime)
        await check("booked, email sent", first, "REQUEST")

        clock.advance(minutes=1)
        cancelled = await client.post(f"/api/v1/bookings/{first}/cancel", headers=auth(alice))
        assert cancelled.status_code == 200, cancelled.text
        await check("cancelled, email not sent yet", first, "CANCEL")
        await run_once(runtime)
        await check("cancelled, email sent", first, "CANCEL")

        clock.advance(minutes=1)
        again = await client.post(f"/api/v1/sessions/{sid}/bookings", json={"seats": 2}, headers=auth(alice))
        assert again.status_code == 201, again.text
        second = again.json()["id"]
        await check("rebooked, email not sent yet", second, "REQUEST")
        # the old booking's file describes the same UID: the live booking, never a CANCEL
        await check("old booking after the rebook", first, "REQUEST")
        await run_once(runtime)
        await check("rebooked, email sent", second, "REQUEST")
        await check("old booking, everything sent", first, "REQUEST")

        sent = emailed(settings, alice["email"])
        assert [method for method, _, _ in sent] == ["REQUEST", "CANCEL", "REQUEST"]
        assert {u for _, _, u in sent} == {uid}
        email_sequences = [seq for _, seq, _ in sent]
        assert email_sequences == sorted(set(email_sequences))  # strictly increasing

        # a SEQUENCE names one state of the UID, whichever file carries it
        files = sent + [file for _, file in downloads]
        states: dict[int, set[str]] = {}
        for method, seq, _ in files:
            states.setdefault(seq, set()).add(method)
        assert all(len(methods) == 1 for methods in states.values()), states
        # downloads only go up, and the highest SEQUENCE ever handed out is the live booking's
        download_sequences = [file[1] for _, file in downloads]
        assert download_sequences == sorted(download_sequences)
        newest = max(files, key=lambda f: f[1])
        assert newest[0] == "REQUEST"
        # at the end the live booking, the old booking and the feed agree with the last email
        assert downloads[-1][1] == downloads[-2][1] == ("REQUEST", email_sequences[-1], uid)
        (event,) = await feed_events(client, alice)
        assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, email_sequences[-1])

    async def test_an_old_cancelled_booking_answers_the_live_booking(self, client, runtime, clock):
        alice = await make_user()
        session = await make_session()
        old = await make_booking_row(session, alice, status="cancelled", seats=1)
        live = await make_booking_row(session, alice, seats=3)
        old_file = await download(client, old["id"], alice)
        live_file = await download(client, live["id"], alice)
        assert old_file == live_file
        assert old_file[0] == "REQUEST"
        # and after the session moved (its sequence went up), still the same answer for both
        from workshops.tables import WorkshopSession
        await WorkshopSession.update({WorkshopSession.sequence: 5}).where(WorkshopSession.id == session["id"])
        assert await download(client, old["id"], alice) == await download(client, live["id"], alice) == (
            "REQUEST", 5, old_file[2])

    async def test_a_cancel_download_is_superseded_by_the_next_booking(self, client, runtime, clock, settings):
        alice = await make_user()
        session = await make_session()
        booked = await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={}, headers=auth(alice))
        first = booked.json()["id"]
        await run_once(runtime)
        assert (await client.post(f"/api/v1/bookings/{first}/cancel", headers=auth(alice))).status_code == 200
        cancel_file = await download(client, first, alice)  # before the cancellation email is sent
        assert cancel_file[0] == "CANCEL"
        ((request, request_sequence, _),) = emailed(settings, alice["email"])
        assert request == "REQUEST" and cancel_file[1] > request_sequence  # a state of its own
        again = await client.post(f"/api/v1/sessions/{session['id']}/bookings", json={}, headers=auth(alice))
        await run_once(runtime)
        later = emailed(settings, alice["email"])
        # every later REQUEST, emailed or downloaded, outranks the CANCEL file kept by the participant
        assert later[-1][0] == "REQUEST" and later[-1][1] > cancel_file[1]
        assert (await download(client, again.json()["id"], alice))[1] > cancel_file[1]

    async def test_repeated_downloads_do_not_bump_the_sequence(self, client, runtime):
        alice = await make_user()
        booking = await make_booking_row(await make_session(), alice)
        files = [await download(client, booking["id"], alice) for _ in range(3)]
        assert files[0] == files[1] == files[2]
        (event,) = await feed_events(client, alice)
        assert int(event["SEQUENCE"]) == files[0][1]

    async def test_the_handler_documents_its_choice(self, client):
        paths = (await client.get("/schema/openapi.json")).json()["paths"]
        description = paths["/api/v1/bookings/{booking_id}/invite.ics"]["get"]["description"]
        assert "booked the same session again" in description and "never" in description
