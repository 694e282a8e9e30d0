"""End to end through the app: the booking and workshop use cases write outbox rows through the
OutboxNotifier, the worker job delivers them to `.eml` files, and a participant's calendar
follows: one UID, a strictly increasing SEQUENCE, REQUEST then CANCEL."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import re

import icalendar
import vobject

from alveole.worker import run_once
from tests.factories import auth, make_community, make_session, make_user, make_workshop


def delivered(settings) -> list[email.message.EmailMessage]:
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in settings.mail_dir.glob("*.eml")]
    return sorted(messages, key=lambda m: int(re.match(r"<outbox\.(\d+)\.", m["Message-ID"]).group(1)))


def invites(messages, address):
    found = []
    for message in messages:
        if message["To"].addresses[0].addr_spec != address:
            continue
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_content()
                vobject.readOne(text, validate=True)
                (event,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
                found.append((message["X-Alveole-Kind"], part.get_param("method"), str(event["UID"]),
                              int(event["SEQUENCE"])))
    return found


async def test_book_move_cancel_rebook_then_session_cancelled(client, runtime, clock, settings):
    host, alice = await make_user(), await make_user()
    workshop = await make_workshop(host=host, community=await make_community())
    session = await make_session(workshop)
    sid = session["id"]

    booked = await client.post(f"/api/v1/sessions/{sid}/bookings", json={"seats": 1}, headers=auth(alice))
    assert booked.status_code == 201, booked.text
    await run_once(runtime)

    starts = session["starts_at"] + dt.timedelta(days=1)
    clock.advance(minutes=1)
    moved = await client.patch(f"/api/v1/sessions/{sid}", headers=auth(host), json={
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=2)).isoformat()})
    assert moved.status_code == 200, moved.text
    await run_once(runtime)

    clock.advance(minutes=1)
    cancelled = await client.post(f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=auth(alice))
    assert cancelled.status_code == 200, cancelled.text
    await run_once(runtime)

    clock.advance(minutes=1)
    again = await client.post(f"/api/v1/sessions/{sid}/bookings", json={"seats": 2}, headers=auth(alice))
    assert again.status_code == 201, again.text
    await run_once(runtime)
    ics = await client.get(f"/api/v1/bookings/{again.json()['id']}/invite.ics", headers=auth(alice))
    (downloaded,) = icalendar.Calendar.from_ical(ics.text).walk("VEVENT")

    clock.advance(minutes=1)
    gone = await client.post(f"/api/v1/sessions/{sid}/cancel", json={"reason": "Flooded"}, headers=auth(host))
    assert gone.status_code == 200, gone.text
    await run_once(runtime)

    got = invites(delivered(settings), alice["email"])
    assert [(kind, method) for kind, method, _, _ in got] == [
        ("booking_confirmed", "REQUEST"), ("session_updated", "REQUEST"), ("booking_cancelled", "CANCEL"),
        ("booking_confirmed", "REQUEST"), ("session_cancelled", "CANCEL")]
    assert {uid for _, _, uid, _ in got} == {f"session-{sid}-user-{alice['id']}@alveole"} == {
        str(downloaded["UID"])}
    sequences = [seq for _, _, _, seq in got]
    assert sequences == sorted(set(sequences))
    assert downloaded["SEQUENCE"] == sequences[3]
    assert all(m["X-Alveole-Kind"] for m in delivered(settings))
