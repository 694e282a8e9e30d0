"""Calendar use cases: a booking's invite.ics, the personal feed, revoking the feed URL."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts import service as accounts
from kernel.errors import Forbidden, InvalidState, NotFound
from kernel.settings import Settings
from notify import context as ctx
from notify import invites
from notify.ical import InviteEvent, feed_ics, invite_ics


from kernel.http import MAX_ID


@dataclass(frozen=True)
class CalendarFile:
    method: str
    text: str


def calendar_url(settings: Settings, token: str) -> str:
    """The personal feed URL for a calendar token (what `/api/v1/me` shows as calendar_url)."""
    return f"{settings.base_url}/calendar/{token}/feed.ics"


async def booking_invite(booking_id: int, user_id: int, settings: Settings,
                         now: dt.datetime) -> CalendarFile:
    """The booking's calendar entry for its participant: REQUEST while confirmed, CANCEL once
    cancelled; the same UID and the current SEQUENCE as the emails."""
    booking = await ctx.load_booking(booking_id) if 1 <= booking_id <= MAX_ID else None
    if booking is None:
        raise NotFound(f"No booking {booking_id}.")
    if booking.participant.id != user_id:
        raise Forbidden("Only the participant of a booking can download its invitation.")
    if booking.status == "confirmed":
        cancelled = False
    elif booking.status == "cancelled":
        cancelled = True
    else:
        raise InvalidState(f"The booking is {booking.status}: there is no invitation to download.")
    session = booking.session
    stored = await invites.stored_sequence(session.id, user_id)
    item = InviteEvent(session=session, participant=booking.participant,
                       sequence=max(session.sequence, stored or 0), booking_id=booking.id,
                       cancelled=cancelled or session.status == "cancelled")
    text = invite_ics(item, stamp=now, base_url=settings.base_url)
    return CalendarFile(method="CANCEL" if item.cancelled else "REQUEST", text=text)


async def personal_feed(token: str, settings: Settings, now: dt.datetime) -> str:
    """Every confirmed booking of the token's owner, with the UIDs of their invitations."""
    user_id = await accounts.user_id_for_calendar_token(token)
    if user_id is None:
        raise NotFound("Unknown or revoked calendar feed.")
    bookings = await ctx.confirmed_bookings_of_user(user_id)
    stored = await invites.current_sequences([(b.session.id, user_id) for b in bookings])
    items = [
        InviteEvent(session=b.session, participant=b.participant, booking_id=b.id,
                    sequence=max(b.session.sequence, stored.get((b.session.id, user_id), 0)))
        for b in bookings
    ]
    person = await ctx.load_person(user_id)
    name = f"Alvéole – {person.display_name}" if person else "Alvéole"
    return feed_ics(items, stamp=now, base_url=settings.base_url, name=name)


async def rotate_calendar_url(user_id: int, settings: Settings) -> str:
    """Revoke the current feed URL (it answers 404 from now on) and return a new one."""
    return calendar_url(settings, await accounts.rotate_calendar_token(user_id))
