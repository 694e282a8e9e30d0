"""The community's public iCalendar feed (METHOD:PUBLISH), built with the icalendar library.

Pure: the service hands it sessions and their workshops; no I/O here.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from email.utils import parseaddr
from typing import TYPE_CHECKING

from icalendar import Calendar, Event, Timezone, vCalAddress, vDatetime, vText

if TYPE_CHECKING:
    from workshops.service import SessionRecord, WorkshopRecord

# the one product identifier of every calendar Alvéole writes (this feed, invites, personal feeds)
PRODID = "-//Alvéole//Alvéole//EN"


def session_uid(session_id: int) -> str:
    return f"session-{session_id}@alveole"


def workshop_path(workshop_id: int) -> str:
    """The path of the workshop's page (where the pages send people back to)."""
    return f"/workshops/{workshop_id}"


def workshop_url(base_url: str, workshop_id: int) -> str:
    """The workshop's public page: linked from feeds, invites and emails."""
    return f"{base_url.rstrip('/')}{workshop_path(workshop_id)}"


def organizer(host_name: str, mail_from: str) -> vCalAddress:
    """ORGANIZER of every event Alvéole writes — community feed, invites, cancellations and
    personal feeds alike: the host's display name (CN) with the instance's sender address
    (`ALVEOLE_MAIL_FROM`'s address). A host's own address never reaches anyone through a
    calendar."""
    email = parseaddr(mail_from)[1] or "noreply@localhost"
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(host_name)
    return address


# each event's text without its DTSTAMP, by everything it shows: a new version of a feed
# re-serialises only the events that changed (about 1.5 ms each with icalendar), and the others'
# bytes are reused with the new DTSTAMP spliced in
EVENTS_KEPT = 8192
_TZID = re.compile(rb";TZID=([^:;]+)[:;]")


def stamped(event: bytes, stamp: dt.datetime) -> bytes:
    """`event` (a serialised VEVENT without DTSTAMP) with DTSTAMP `stamp` (UTC) as its first property."""
    line = b"DTSTAMP:" + vDatetime(stamp.astimezone(dt.timezone.utc).replace(microsecond=0)).to_ical() + b"\r\n"
    head, sep, rest = event.partition(b"BEGIN:VEVENT\r\n")
    return head + sep + line + rest


def spliced(calendar: Calendar, events: Sequence[bytes]) -> bytes:
    """`calendar` serialised with the already-serialised `events` before its END:VCALENDAR."""
    text = calendar.to_ical()
    end = text.rindex(b"END:VCALENDAR")
    return text[:end] + b"".join(events) + text[end:]


@functools.lru_cache(maxsize=EVENTS_KEPT)
def _community_event(session_id: int, starts: dt.datetime, ends: dt.datetime, sequence: int, workshop_id: int,
                     title: str, summary: str, host_name: str, location: str, geo: tuple[float, float] | None,
                     base_url: str, mail_from: str) -> bytes:
    event = Event()
    event.add("uid", session_uid(session_id))
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", title)
    event.add("organizer", organizer(host_name, mail_from))
    event.add("description", summary)
    if location:
        event.add("location", location)
    if geo is not None:
        event.add("geo", geo)
    event.add("url", workshop_url(base_url, workshop_id))
    event.add("sequence", sequence)
    event.add("status", "CONFIRMED")
    return event.to_ical()


def community_feed(
    *, community_name: str, sessions: Sequence[tuple[SessionRecord, WorkshopRecord]], now: dt.datetime,
    base_url: str, mail_from: str = "noreply@localhost",
) -> bytes:
    """One VEVENT per session, DTSTART/DTEND in the session's zone with a VTIMEZONE for each zone
    covering just the feed's dates; SEQUENCE is the session's, so edits replace older copies;
    ORGANIZER is the host (RFC 5546 §3.2.1 wants one in every PUBLISH event). Each event's text
    is reused from an earlier version of any feed when nothing it shows changed."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", community_name)
    events = []
    for session, workshop in sessions:
        venue = workshop.venue
        geo = (venue.lat, venue.lon) if venue and venue.lat is not None and venue.lon is not None else None
        events.append(stamped(_community_event(
            session.id, session.local_starts_at.replace(microsecond=0), session.local_ends_at.replace(microsecond=0),
            session.sequence, workshop.id, workshop.title, workshop.summary, workshop.host_display_name,
            workshop.location or "", geo, base_url, mail_from), now))
    if sessions:
        first = min(s.local_starts_at for s, _ in sessions).date()
        last = max(s.local_ends_at for s, _ in sessions).date() + dt.timedelta(days=1)
        # the zones the events name (UTC is written with a Z: no VTIMEZONE)
        for tzid in sorted({m.decode() for event in events for m in _TZID.findall(event)}):
            cal.add_component(Timezone.from_tzid(tzid, first_date=first, last_date=last))
    return spliced(cal, events)
