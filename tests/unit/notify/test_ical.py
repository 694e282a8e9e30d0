"""iCalendar documents built from views: RFC 5545 as icalendar and vobject read it."""
from __future__ import annotations

import datetime as dt

import icalendar
import vobject

from notify.context import CommunityView, Person, SessionView, WorkshopView
from notify.ical import InviteEvent, feed_ics, invite_ics, invite_uid

UTC = dt.timezone.utc
STAMP = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOST = Person(1, "host@example.org", "Hôte; Un", "fr", "Europe/Paris")
ALICE = Person(2, "alice@example.org", "Alice, A.", "en", "America/New_York")
MAIL_FROM = "Alvéole <noreply@alveole.example>"


def session(sid=4, *, starts=dt.datetime(2026, 12, 8, 9, 0, tzinfo=UTC), tz="Europe/Paris",
            lat=48.86, online=None, venue="Maison du quartier"):
    workshop = WorkshopView(3, "Fix your bike", "Brakes; gears, tyres.", "published", venue,
                            "1 rue de la Paix" if venue else None, lat, 2.35 if lat else None, online,
                            "free", 0, "eur", "", HOST, CommunityView(1, "q", "Quartier", "Europe/Paris"))
    return SessionView(sid, starts, starts + dt.timedelta(hours=2), tz, 10, "scheduled", 0, "", None,
                       workshop)


def parse(text):
    cal = icalendar.Calendar.from_ical(text)
    for component in cal.walk():
        assert not component.errors, component.errors
    card = vobject.readOne(text, validate=True)
    return cal, card


def test_invite_has_every_required_property():
    text = invite_ics(InviteEvent(session(), ALICE, 3, booking_id=9), stamp=STAMP, base_url="http://x", mail_from=MAIL_FROM)
    cal, card = parse(text)
    assert cal["METHOD"] == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == invite_uid(4, 2) == "session-4-user-2@alveole"
    assert event["SEQUENCE"] == 3
    assert event["DTSTAMP"].dt == STAMP
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["DTEND"].params["TZID"] == "Europe/Paris"
    assert event["DTSTART"].dt == dt.datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert str(event["ORGANIZER"]) == "mailto:noreply@alveole.example"  # never the host's own
    assert event["ORGANIZER"].params["CN"] == "Hôte; Un"
    assert str(event["ATTENDEE"]) == "mailto:alice@example.org"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert str(event["LOCATION"]) == "Maison du quartier, 1 rue de la Paix"
    assert (event["GEO"].latitude, event["GEO"].longitude) == (48.86, 2.35)
    assert str(event["URL"]) == "http://x/workshops/3"
    assert str(event["SUMMARY"]) == "Fix your bike"
    # only pages that exist: the workshop's, not the booking's (no booking page yet)
    assert "http://x/workshops/3" in str(event["DESCRIPTION"])
    assert "/bookings/" not in text
    assert str(event["STATUS"]) == "CONFIRMED"
    assert card.vevent.dtstart.value.utcoffset() == dt.timedelta(hours=1)
    assert card.vevent.geo.value == "48.86;2.35"


def test_cancellation_is_method_cancel_and_status_cancelled():
    text = invite_ics(InviteEvent(session(), ALICE, 4, cancelled=True), stamp=STAMP, base_url="http://x", mail_from=MAIL_FROM)
    cal, card = parse(text)
    assert cal["METHOD"] == "CANCEL"
    assert card.vevent.status.value == "CANCELLED"
    assert card.vevent.uid.value == "session-4-user-2@alveole"


def test_no_geo_when_unknown_and_online_url_as_location():
    text = invite_ics(InviteEvent(session(lat=None, venue=None, online="https://meet.example/x"), ALICE, 0),
                      stamp=STAMP, base_url="http://x", mail_from=MAIL_FROM)
    cal, _ = parse(text)
    (event,) = cal.walk("VEVENT")
    assert "GEO" not in event
    assert str(event["LOCATION"]) == "https://meet.example/x"


def test_summer_time_session_gets_the_summer_offset_in_its_vtimezone():
    summer = session(starts=dt.datetime(2027, 7, 1, 16, 0, tzinfo=UTC), tz="America/New_York")
    cal, card = parse(invite_ics(InviteEvent(summer, ALICE, 0), stamp=STAMP, base_url="http://x", mail_from=MAIL_FROM))
    (tz,) = cal.walk("VTIMEZONE")
    assert tz["TZID"] == "America/New_York"
    assert card.vevent.dtstart.value.utcoffset() == dt.timedelta(hours=-4)
    assert card.vevent.dtstart.value.hour == 12


def test_feed_holds_every_event_and_each_timezone_once():
    items = [InviteEvent(session(4), ALICE, 2),
             InviteEvent(session(5, starts=dt.datetime(2027, 7, 1, 8, 0, tzinfo=UTC)), ALICE, 0),
             InviteEvent(session(6, tz="America/New_York"), ALICE, 1)]
    cal, card = parse(feed_ics(items, stamp=STAMP, base_url="http://x", mail_from=MAIL_FROM, name="Alvéole – Alice"))
    assert cal["METHOD"] == "PUBLISH"
    assert sorted(str(e["UID"]) for e in cal.walk("VEVENT")) == [
        "session-4-user-2@alveole", "session-5-user-2@alveole", "session-6-user-2@alveole"]
    assert sorted(tz["TZID"] for tz in cal.walk("VTIMEZONE")) == ["America/New_York", "Europe/Paris"]
    assert len(card.vevent_list) == 3


def test_a_utc_session_is_written_in_utc_without_vtimezone():
    cal, card = parse(invite_ics(InviteEvent(session(tz="UTC"), ALICE, 0), stamp=STAMP, base_url="http://x", mail_from=MAIL_FROM))
    (event,) = cal.walk("VEVENT")
    assert cal.walk("VTIMEZONE") == []
    assert event["DTSTART"].to_ical() == b"20261208T090000Z"
    assert card.vevent.dtstart.value == dt.datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def test_vtimezone_covers_whole_years_around_the_events():
    cal, _ = parse(invite_ics(InviteEvent(session(), ALICE, 0), stamp=STAMP, base_url="http://x", mail_from=MAIL_FROM))
    (tz,) = cal.walk("VTIMEZONE")
    starts = sorted(c.DTSTART for c in tz.walk() if c.name in ("STANDARD", "DAYLIGHT"))
    assert starts[0].year == 2025 and "2028" in tz.to_ical().decode()


def test_feed_events_name_the_organizer_but_no_attendee():
    text = feed_ics([InviteEvent(session(4), ALICE, 2, booking_id=9)], stamp=STAMP, base_url="http://x",
                    mail_from=MAIL_FROM, name="Alvéole – Alice")
    cal, card = parse(text)
    assert cal["METHOD"] == "PUBLISH"
    (event,) = cal.walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:noreply@alveole.example"  # never the host's own
    assert event["ORGANIZER"].params["CN"] == "Hôte; Un"
    assert "ATTENDEE" not in event
    assert "organizer" in card.vevent.contents and "attendee" not in card.vevent.contents
    assert "/bookings/" not in text
    # the invite of the same booking still names its attendee
    (invited,) = parse(invite_ics(InviteEvent(session(4), ALICE, 2), stamp=STAMP,
                                  base_url="http://x", mail_from=MAIL_FROM))[0].walk("VEVENT")
    assert str(invited["ATTENDEE"]) == "mailto:alice@example.org"
