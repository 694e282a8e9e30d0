"""The community's public iCalendar feed (METHOD:PUBLISH), built with the icalendar library.

Pure: the service hands it sessions and their workshops; no I/O here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email.utils import parseaddr
from typing import TYPE_CHECKING

from icalendar import Calendar, Event, vCalAddress, vText

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


def community_feed(
    *, community_name: str, sessions: Sequence[tuple[SessionRecord, WorkshopRecord]], now: dt.datetime,
    base_url: str, mail_from: str = "noreply@localhost",
) -> bytes:
    """One VEVENT per session, DTSTART/DTEND in the session's zone with a VTIMEZONE for each zone
    covering just the feed's dates; SEQUENCE is the session's, so edits replace older copies;
    ORGANIZER is the host (RFC 5546 §3.2.1 wants one in every PUBLISH event)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", community_name)
    stamp = now.astimezone(dt.timezone.utc).replace(microsecond=0)
    for session, workshop in sessions:
        event = Event()
        event.add("uid", session_uid(session.id))
        event.add("dtstamp", stamp)
        event.add("dtstart", session.local_starts_at.replace(microsecond=0))
        event.add("dtend", session.local_ends_at.replace(microsecond=0))
        event.add("summary", workshop.title)
        event.add("organizer", organizer(workshop.host_display_name, mail_from))
        event.add("description", workshop.summary)
        if workshop.location:
            event.add("location", workshop.location)
        if workshop.venue and workshop.venue.lat is not None and workshop.venue.lon is not None:
            event.add("geo", (workshop.venue.lat, workshop.venue.lon))
        event.add("url", workshop_url(base_url, workshop.id))
        event.add("sequence", session.sequence)
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    if sessions:
        first = min(s.local_starts_at for s, _ in sessions).date()
        last = max(s.local_ends_at for s, _ in sessions).date() + dt.timedelta(days=1)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()
