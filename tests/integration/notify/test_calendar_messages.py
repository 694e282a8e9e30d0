"""The calendar parts of the emails a participant receives about one session: same UID,
strictly increasing SEQUENCE (also across cancel-then-rebook), matching TZID/VTIMEZONE, and
the same UID in the personal feed. Every calendar is parsed with icalendar and vobject."""
from __future__ import annotations

import asyncio
import datetime as dt

import icalendar
import vobject

from kernel.events import BookingCancelled, BookingConfirmed, SessionCancelled, SessionUpdated
from notify import invites, service
from notify.outbox import deliver_due
from tests.factories import make_booking_row, make_session, make_user
from workshops.tables import WorkshopSession

from .conftest import calendar_part, emit


def parse(text: str):
    calendar = icalendar.Calendar.from_ical(text)
    for component in calendar.walk():
        assert not component.errors, component.errors
    card = vobject.readOne(text, validate=True)
    (event,) = calendar.walk("VEVENT")
    tzid = event["DTSTART"].params["TZID"]
    assert event["DTEND"].params["TZID"] == tzid
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [tzid]
    assert card.vevent.uid.value == str(event["UID"])
    return calendar, event


def calendars_of(mailer, address):
    found = []
    for message in mailer.to(address):
        part = calendar_part(message)
        if part:
            method, text = part
            calendar, event = parse(text)
            assert calendar["METHOD"] == method
            found.append((message["X-Alveole-Kind"], method, event))
    return found


async def test_confirm_update_cancel_rebook_update_session_cancel(notify_runtime, mailer, clock, settings):
    alice, bob = await make_user(timezone="America/New_York"), await make_user(locale="fr")
    session = await make_session()
    sid = session["id"]
    first = await make_booking_row(session, alice)
    await make_booking_row(session, bob)
    await emit(notify_runtime, BookingConfirmed(at=clock.now(), booking_id=first["id"], session_id=sid,
                                                user_id=alice["id"]))
    await deliver_due(notify_runtime)

    # the host moves the session (its sequence goes to 1): everyone confirmed hears of it
    new_start = session["starts_at"] + dt.timedelta(days=1, hours=3)
    await WorkshopSession.update({WorkshopSession.starts_at: new_start,
                                  WorkshopSession.ends_at: new_start + dt.timedelta(hours=2),
                                  WorkshopSession.sequence: 1}).where(WorkshopSession.id == sid)
    clock.advance(minutes=5)
    await emit(notify_runtime, SessionUpdated(at=clock.now(), session_id=sid, sequence=1))
    await deliver_due(notify_runtime)

    # Alice cancels, then books again
    clock.advance(minutes=5)
    from booking.tables import Booking
    await Booking.update({Booking.status: "cancelled", Booking.active_slot: None}).where(Booking.id == first["id"])
    await emit(notify_runtime, BookingCancelled(at=clock.now(), booking_id=first["id"], session_id=sid,
                                                user_id=alice["id"], by="participant"))
    await deliver_due(notify_runtime)
    clock.advance(minutes=5)
    again = await make_booking_row(session, alice, created_at=clock.now())
    await emit(notify_runtime, BookingConfirmed(at=clock.now(), booking_id=again["id"], session_id=sid,
                                                user_id=alice["id"]))
    await deliver_due(notify_runtime)

    # a second change, named explicitly this time
    clock.advance(minutes=5)
    await WorkshopSession.update({WorkshopSession.sequence: 2}).where(WorkshopSession.id == sid)
    await emit(notify_runtime, SessionUpdated(at=clock.now(), session_id=sid, sequence=2,
                                              booking_ids=(again["id"],)))
    await deliver_due(notify_runtime)

    # the feed shows Alice's booking with the UID of her invites
    feed = icalendar.Calendar.from_ical(await service.personal_feed(
        await _token(alice), settings, clock.now()))
    (feed_event,) = feed.walk("VEVENT")

    # the host cancels the session
    clock.advance(minutes=5)
    await WorkshopSession.update({WorkshopSession.status: "cancelled", WorkshopSession.sequence: 3}).where(
        WorkshopSession.id == sid)
    await emit(notify_runtime, SessionCancelled(at=clock.now(), session_id=sid, sequence=3, reason="Flood",
                                                booking_ids=(again["id"],)))
    await deliver_due(notify_runtime)

    got = calendars_of(mailer, alice["email"])
    assert [(kind, method) for kind, method, _ in got] == [
        ("booking_confirmed", "REQUEST"), ("session_updated", "REQUEST"),
        ("booking_cancelled", "CANCEL"), ("booking_confirmed", "REQUEST"),
        ("session_updated", "REQUEST"), ("session_cancelled", "CANCEL")]
    uids = {str(event["UID"]) for _, _, event in got}
    assert uids == {f"session-{sid}-user-{alice['id']}@alveole"} == {str(feed_event["UID"])}
    sequences = [event["SEQUENCE"] for _, _, event in got]
    assert sequences == sorted(set(sequences)), sequences  # strictly increasing
    assert feed_event["SEQUENCE"] == sequences[4]
    assert [str(event.get("STATUS")) for _, _, event in got][2::3] == ["CANCELLED", "CANCELLED"]
    # the update carries the new time, in the session's zone
    assert got[1][2]["DTSTART"].dt == new_start
    assert got[1][2]["DTSTART"].params["TZID"] == "Europe/Paris"

    # Bob: never got a confirmation through the outbox here, but the update and the cancellation
    bob_got = calendars_of(mailer, bob["email"])
    assert [m for _, m, _ in bob_got] == ["REQUEST"]  # his booking was not named in the cancel
    assert str(bob_got[0][2]["UID"]) == f"session-{sid}-user-{bob['id']}@alveole"


async def _token(user) -> str:
    from accounts.tables import User

    return (await User.select(User.calendar_token).where(User.id == user["id"]).first())["calendar_token"]


async def test_sequence_is_at_least_the_sessions(notify_runtime, mailer, clock):
    alice = await make_user()
    session = await make_session(sequence=7)
    booking = await make_booking_row(session, alice)
    await emit(notify_runtime, BookingConfirmed(at=clock.now(), booking_id=booking["id"],
                                                session_id=session["id"], user_id=alice["id"]))
    await deliver_due(notify_runtime)
    (_, _, event), = calendars_of(mailer, alice["email"])
    assert event["SEQUENCE"] == 7


async def test_concurrent_bumps_give_distinct_increasing_values(db):
    values = await asyncio.gather(*[invites.next_sequence(1, 2, 0) for _ in range(20)])
    assert sorted(values) == list(range(20))
    assert await invites.next_sequence(1, 2, 50) == 50
    assert await invites.next_sequence(1, 2, 3) == 51
    assert await invites.stored_sequence(1, 2) == 51
    assert await invites.stored_sequence(1, 3) is None
