"""The second channel of the outbox: text messages.

A text row is the twin of an email row (`texts.text_twin`: same kind and payload, dedupe key
`sms:<the email's key>`, channel `sms`), written in the transaction that stores the email's
rendering when the participant takes texts, so it has the email's guarantees: one message per
(booking, kind, offset), claimed, leased, retried with back-off and marked sent one by one by
`notify.outbox`.

Who gets it is decided when it is rendered, in ONE place (`text_recipient`): a participant
with an account who gave a mobile number and opted in, or the neighbour a relay booked for
when the relay gave their phone (the relay asked them; their STOP is honoured the same way). A row with no one to text is settled
`skipped`. Before each send the number is checked again (`still_wanted`): a STOP, or an
opt-in withdrawn, drops what was queued.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accounts import repository as accounts_repo
from booking.schemas import BookingStatus
from kernel.i18n import language_of
from kernel.sql import fetch_one
from notify import context as ctx
from notify.compose import Skip
from notify.texts import TEXT_KINDS, TextFacts, compose_text
from workshops.enums import SessionStatus


@dataclass(frozen=True)
class TextRecipient:
    phone: str  # E.164
    language: str
    user_id: int | None  # None: a guest booked by a relay (no account)


async def text_recipient(booking: ctx.BookingView) -> TextRecipient | None:
    """Who gets the texts about this booking, if anyone: the ONE place that decides.

    A participant with an account gets them at the number they gave while they opt in (and
    the number has not answered STOP). A guest (booked by a relay, a host or an organizer for
    a neighbour without an account) gets them at the phone the relay gave, in the relay's
    language (the slip's), unless that number answered STOP; the relay keeps the emails."""
    participant = booking.participant
    if booking.guest_name is not None:
        if not booking.guest_phone or await accounts_repo.is_opted_out(booking.guest_phone):
            return None
        return TextRecipient(phone=booking.guest_phone, language=language_of(participant.locale), user_id=None)
    if participant.deleted:
        return None
    row = await fetch_one(accounts_repo.USER_TEXT_PHONE, participant.id)
    if row is None or not row["phone"]:
        return None
    return TextRecipient(phone=row["phone"], language=language_of(participant.locale),
                         user_id=participant.id)


async def still_wanted(record: dict[str, Any]) -> bool:
    """Checked just before a rendered text is handed to the provider: the number has not
    answered STOP since, and its account (if any) still opts in at that number."""
    phone = record["recipient_email"]
    if await accounts_repo.is_opted_out(phone):
        return False
    if record.get("recipient") is None:
        return True
    row = await fetch_one(accounts_repo.USER_TEXT_PHONE, int(record["recipient"]))
    return row is not None and row["phone"] == phone


@dataclass
class ComposedText:
    recipient: TextRecipient
    body: str


async def prepare_text(record: dict[str, Any], now: dt.datetime) -> ComposedText:
    """Load and write one text row's message (reads only). Raises Skip when there is no one to
    text or nothing to say any more."""
    kind = record["kind"]
    if kind not in TEXT_KINDS:
        raise Skip(f"{kind} does not go by text")
    booking = await ctx.load_booking(int(record["payload"]["booking_id"]))
    if booking is None:
        raise Skip("the booking no longer exists")
    session = booking.session
    if kind == "reminder" and (booking.status != BookingStatus.confirmed
                               or session.status != SessionStatus.scheduled or now >= session.starts_at):
        raise Skip("the booking or its session is no longer on")
    if kind == "session_updated" and booking.status != BookingStatus.confirmed:
        raise Skip("the booking is no longer confirmed")
    recipient = await text_recipient(booking)
    if recipient is None:
        raise Skip("no number to text (none given, no opt-in, or STOP)")
    workshop = session.workshop
    facts = TextFacts(title=workshop.title, starts_at=session.starts_at,
                      timezone=session.timezone or workshop.community.timezone,
                      place=workshop.location, short_place=workshop.venue_name or "")
    return ComposedText(recipient=recipient, body=compose_text(kind, recipient.language, facts))
