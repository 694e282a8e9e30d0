"""Calendar use cases: a booking's invite.ics, the personal feed, revoking the feed URL."""
from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from accounts import service as accounts
from booking import repository as booking_repo
from booking.schemas import BookingStatus
from kernel.caching import etag_of_version
from kernel.errors import Forbidden, InvalidState, NotFound
from kernel.http import MAX_ID
from kernel.runtime import Runtime
from kernel.settings import Settings
from kernel.sql import as_datetime, fetch_one
from notify import context as ctx
from notify import invites, repository
from notify.compose import Skip, compose
from notify.ical import InviteEvent, feed_ics, invite_ics
from notify.links import calendar_feed_url
from notify.texting import prepare_text
from notify.texts import SMS
from workshops.enums import SessionStatus
from workshops.service import FEED_AHEAD, FEED_HISTORY, FEED_MAX_EVENTS, FeedVersion, version_period


@dataclass(frozen=True)
class CalendarFile:
    method: str
    text: str


def calendar_url(settings: Settings, token: str) -> str:
    """The personal feed URL for a calendar token (what `/api/v1/me` shows as calendar_url)."""
    return calendar_feed_url(settings.base_url, token)


async def booking_invite(booking_id: int, user_id: int, settings: Settings,
                         now: dt.datetime) -> CalendarFile:
    """The calendar file of the booking's UID, i.e. of the participant's place in its session,
    in its current state: REQUEST while a booking of theirs for that session is confirmed,
    CANCEL once none is (or the session is cancelled). A cancelled booking whose participant
    booked the same session again therefore answers the live booking's REQUEST: the old
    booking's file can never cancel the new one. The SEQUENCE is the one the emails use
    (`invites.shown_sequence`): never below a message already sent, and a new value whenever
    the state shown differs from the last one handed out."""
    booking = await ctx.load_booking(booking_id) if 1 <= booking_id <= MAX_ID else None
    if booking is None:
        raise NotFound(f"No booking {booking_id}.")
    if booking.participant.id != user_id:
        raise Forbidden("Only the participant of a booking can download its invitation.")
    if booking.status not in (BookingStatus.confirmed, BookingStatus.cancelled):
        raise InvalidState(f"The booking is {booking.status}: there is no invitation to download.")
    shown = booking
    if booking.status == BookingStatus.cancelled:
        shown = await ctx.confirmed_booking_of(booking.session.id, user_id) or booking
    session = shown.session
    cancelled = shown.status != BookingStatus.confirmed or session.status == SessionStatus.cancelled
    method = invites.CANCEL if cancelled else invites.REQUEST
    sequence = await invites.shown_sequence(session.id, user_id, session.sequence, method)
    item = InviteEvent(session=session, participant=shown.participant, sequence=sequence,
                       booking_id=shown.id, cancelled=cancelled)
    return CalendarFile(method=method, text=invite_ics(item, stamp=now, base_url=settings.base_url,
                                                        mail_from=settings.mail_from))


async def personal_feed_version(token: str, settings: Settings, now: dt.datetime) -> tuple[int, FeedVersion]:
    """The feed owner's id and the feed's validator (one aggregate over their confirmed
    bookings, `booking.repository.PERSONAL_FEED_VERSION`); NotFound for an unknown or revoked
    token. Like the community feed's, it also changes every `FEED_VERSION_PERIOD`, which bounds
    what no column records (a host's or the owner's new name)."""
    user_id = await accounts.user_id_for_calendar_token(token)
    if user_id is None:
        raise NotFound("Unknown or revoked calendar feed.")
    row = await fetch_one(booking_repo.PERSONAL_FEED_VERSION, user_id, now - FEED_HISTORY, now + FEED_AHEAD)
    changed = (row["bookings_changed"], row["sessions_changed"], row["workshops_changed"])
    etag = etag_of_version("personal", user_id, int(row["n"]), int(row["ids"]), int(row["sequences"]),
                           *map(str, changed), version_period(now), settings.base_url)
    moments = [as_datetime(m) for m in changed if m is not None]
    return user_id, FeedVersion(etag=etag, last_modified=max(moments) if moments else None)


async def personal_feed(token: str, settings: Settings, now: dt.datetime, user_id: int | None = None) -> bytes:
    """The token owner's confirmed bookings whose session ended at most `FEED_HISTORY` ago or
    starts within `FEED_AHEAD`, the first `FEED_MAX_EVENTS` in start order (the community feed's
    bounds), with the UIDs of their invitations and the SEQUENCE a download of each would show
    (the same counter as the emails). The calendar is built in a worker thread, off the loop."""
    if user_id is None:
        user_id = await accounts.user_id_for_calendar_token(token)
    if user_id is None:
        raise NotFound("Unknown or revoked calendar feed.")
    bookings = await ctx.confirmed_bookings_of_user(user_id, ending_from=now - FEED_HISTORY,
                                                    starting_before=now + FEED_AHEAD, limit=FEED_MAX_EVENTS)
    cancelled = {b.id: b.session.status == SessionStatus.cancelled for b in bookings}
    sequences = await invites.shown_sequences([
        (b.session.id, user_id, b.session.sequence,
         invites.CANCEL if cancelled[b.id] else invites.REQUEST)
        for b in bookings
    ])
    items = [
        InviteEvent(session=b.session, participant=b.participant, booking_id=b.id,
                    sequence=sequences[b.session.id, user_id], cancelled=cancelled[b.id])
        for b in bookings
    ]
    person = await ctx.load_person(user_id)
    name = f"Alvéole – {person.display_name}" if person else "Alvéole"
    text = await asyncio.to_thread(feed_ics, items, stamp=now, base_url=settings.base_url,
                                   mail_from=settings.mail_from, name=name)
    return text.encode()


async def rotate_calendar_url(user_id: int, settings: Settings) -> str:
    """Revoke the current feed URL (it answers 404 from now on) and return a new one."""
    return calendar_url(settings, await accounts.rotate_calendar_token(user_id))


# ------------------------------------------------------------------------------- /dev/outbox

async def outbox_page(limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Newest outbox rows first, and how many there are."""
    return await repository.outbox_page(limit, offset)


async def outbox_message(runtime: Runtime, message_id: int) -> dict[str, Any]:
    """One outbox row; a row not rendered yet is previewed (`preview`) without touching its
    SEQUENCE counter, or says why it would be skipped (`skip_reason`)."""
    record = await repository.outbox_record(message_id) if 1 <= message_id <= MAX_ID else None
    if record is None:
        raise NotFound(f"No outbox message {message_id}.")
    record["preview"] = False
    record["skip_reason"] = None
    if record["subject"] is None and record.get("channel") == SMS:
        try:
            text = await prepare_text(record, runtime.clock.now())
        except Skip as skip:
            record["skip_reason"] = str(skip)
        else:
            record.update(subject=text.recipient.language, body_text=text.body, body_html="",
                          recipient_email=text.recipient.phone, preview=True)
    elif record["subject"] is None and not record["payload"].get("fanout"):
        try:
            composed = await compose(record, runtime.settings, runtime.clock.now(), preview=True)
        except Skip as skip:
            record["skip_reason"] = str(skip)
        else:
            record.update(subject=composed.subject, body_text=composed.body_text,
                          body_html=composed.body_html, attachments=composed.attachments,
                          recipient_email=composed.recipient.email, preview=True)
    return record
