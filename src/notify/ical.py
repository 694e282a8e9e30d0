"""iCalendar invites, cancellations and the personal feed (RFC 5545, the icalendar library).

Rules (API.md): one UID per (session, participant), the same in every message and in the
personal feed; SEQUENCE strictly increasing across the messages a participant receives
(the counter lives in `invite_sequence`, see `notify.invites`); DTSTAMP on every event;
DTSTART/DTEND carry the session's TZID and the calendar a matching VTIMEZONE built for a
bounded range around the events; invites are METHOD:REQUEST, cancellations METHOD:CANCEL
with STATUS:CANCELLED, both with ORGANIZER and ATTENDEE (the participant); the personal feed
is METHOD:PUBLISH with the ORGANIZER and no ATTENDEE (RFC 5546). ORGANIZER is always the
host's name with the instance's sender address (`workshops.calendar.organizer`): a host's own
address never reaches a participant.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from notify.context import Person, SessionView
from workshops.calendar import EVENTS_KEPT, PRODID, organizer, spliced, stamped, workshop_url

UTC = dt.timezone.utc
# VTIMEZONE rules cover the calendar years from one before the first event to two after the
# last (≈600 bytes per zone), not 1970–2038. Not just the events' own days: some clients
# (vobject, hence Radicale) keep the first VTIMEZONE they see for a TZID and apply it to every
# later event with that TZID.
YEARS_BEFORE, YEARS_AFTER = 1, 2


def invite_uid(session_id: int, user_id: int) -> str:
    return f"session-{session_id}-user-{user_id}@alveole"


_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT", "Universal"}


def zone(name: str) -> dt.tzinfo:
    """The IANA zone; UTC itself (and an unknown name) as dt.timezone.utc, written with a Z."""
    if not name or name in _UTC_NAMES:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True)
class InviteEvent:
    """One participant's view of one session, at one SEQUENCE."""

    session: SessionView
    participant: Person
    sequence: int
    booking_id: int | None = None
    cancelled: bool = False


def _address(person: Person, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.display_name)
    for key, value in params.items():
        address.params[key] = value
    return address


def build_event(item: InviteEvent, *, stamp: dt.datetime, base_url: str, mail_from: str,
                attendee: bool = True) -> Event:
    """One VEVENT; `attendee=False` for METHOD:PUBLISH, which names no attendees (RFC 5546
    §3.2.1: ORGANIZER yes, ATTENDEE no)."""
    session, workshop = item.session, item.session.workshop
    tz = zone(session.timezone)
    event = Event()
    event.add("uid", invite_uid(session.id, item.participant.id))
    event.add("sequence", item.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(tz))
    event.add("dtend", session.ends_at.astimezone(tz))
    event.add("summary", workshop.title)
    # only links to pages that exist (notify.links): the workshop page, not the booking's yet
    url = workshop_url(base_url, workshop.id)
    event.add("description", f"{workshop.summary}\n\n{url}".strip())
    if workshop.location:
        event.add("location", workshop.location)
    if workshop.lat is not None and workshop.lon is not None:
        event.add("geo", (workshop.lat, workshop.lon))
    event.add("url", url)
    event.add("organizer", organizer(workshop.host.display_name, mail_from))
    if attendee:
        event.add("attendee", _address(item.participant, PARTSTAT="ACCEPTED",
                                       ROLE="REQ-PARTICIPANT", RSVP="FALSE"))
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if item.cancelled else "OPAQUE")
    return event


def build_calendar(items: Sequence[InviteEvent], *, method: str, stamp: dt.datetime,
                   base_url: str, mail_from: str, name: str | None = None) -> Calendar:
    """A calendar with one VEVENT per item and the VTIMEZONEs they use (narrow range)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    if items:
        first_year = min(i.session.starts_at for i in items).year - YEARS_BEFORE
        last_year = max(i.session.ends_at for i in items).year + YEARS_AFTER
        for tzid in sorted({i.session.timezone for i in items}):
            timezone = vtimezone(tzid, first_year, last_year)
            if timezone is not None:
                calendar.add_component(timezone)
    for item in items:
        calendar.add_component(build_event(item, stamp=stamp, base_url=base_url, mail_from=mail_from,
                                           attendee=method != "PUBLISH"))
    return calendar


@functools.lru_cache(maxsize=256)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone | None:
    """The VTIMEZONE of an IANA zone for whole calendar years (shared, never mutated)."""
    if isinstance(zone(tzid), dt.timezone):
        return None  # UTC (or unknown, shown as UTC): times are written with a Z, no VTIMEZONE
    return Timezone.from_tzid(tzid, first_date=dt.date(first_year, 1, 1),
                              last_date=dt.date(last_year, 12, 31))


def invite_ics(item: InviteEvent, *, stamp: dt.datetime, base_url: str, mail_from: str) -> str:
    method = "CANCEL" if item.cancelled else "REQUEST"
    return build_calendar([item], method=method, stamp=stamp, base_url=base_url,
                          mail_from=mail_from).to_ical().decode()


@functools.lru_cache(maxsize=EVENTS_KEPT)
def _published_event(item: InviteEvent, base_url: str, mail_from: str) -> bytes:
    """A personal feed's VEVENT without DTSTAMP, kept by everything it shows (the item's session,
    workshop, host and participant are frozen values): a new version of a feed re-serialises
    only the events that changed."""
    event = build_event(item, stamp=_NO_STAMP, base_url=base_url, mail_from=mail_from, attendee=False)
    del event["DTSTAMP"]
    return event.to_ical()


_NO_STAMP = dt.datetime(1970, 1, 1, tzinfo=UTC)


def feed_ics(items: Sequence[InviteEvent], *, stamp: dt.datetime, base_url: str, mail_from: str,
             name: str) -> str:
    """The personal feed (METHOD:PUBLISH), its events' text reused from earlier versions."""
    calendar = build_calendar(items[:0], method="PUBLISH", stamp=stamp, base_url=base_url, mail_from=mail_from,
                              name=name)
    if items:
        first_year = min(i.session.starts_at for i in items).year - YEARS_BEFORE
        last_year = max(i.session.ends_at for i in items).year + YEARS_AFTER
        for tzid in sorted({i.session.timezone for i in items}):
            timezone = vtimezone(tzid, first_year, last_year)
            if timezone is not None:
                calendar.add_component(timezone)
    events = [stamped(_published_event(item, base_url, mail_from), stamp) for item in items]
    return spliced(calendar, events).decode()
