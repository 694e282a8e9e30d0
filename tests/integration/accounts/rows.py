"""Rows of other packages (bookings, waitlist, feedback, outbox) written directly, for the
privacy tests: only what export and erasure need to see."""
from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from booking.tables import Booking, Feedback, WaitlistEntry
from notify.tables import OutboxMessage
from tests.factories import NOW

_seq = itertools.count(1)


async def add_booking(session: dict[str, Any], user: dict[str, Any], **overrides: Any) -> int:
    n = next(_seq)
    values: dict[str, Any] = dict(
        session=session["id"], user=user["id"], seats=1, status="confirmed", attendance="unknown",
        amount_cents=0, currency="eur", checkin_code=f"code-{n}",
        active_slot=f"{session['id']}:{user['id']}", created_at=NOW, updated_at=NOW,
    )
    values.update(overrides)
    booking = Booking(**values)
    await Booking.insert(booking)
    return booking.id


async def add_waitlist_entry(session: dict[str, Any], user: dict[str, Any], **overrides: Any) -> int:
    values: dict[str, Any] = dict(session=session["id"], user=user["id"], seats=2, status="waiting",
                                  active_slot=f"{session['id']}:{user['id']}", created_at=NOW,
                                  updated_at=NOW)
    values.update(overrides)
    entry = WaitlistEntry(**values)
    await WaitlistEntry.insert(entry)
    return entry.id


async def add_feedback(booking_id: int, rating: int = 5, comment: str = "Great!") -> int:
    feedback = Feedback(booking=booking_id, rating=rating, comment=comment,
                        created_at=NOW + dt.timedelta(days=8))
    await Feedback.insert(feedback)
    return feedback.id


async def add_email(user: dict[str, Any], kind: str = "booking_confirmed",
                    subject: str | None = "Your seat") -> int:
    message = OutboxMessage(kind=kind, recipient=user["id"], recipient_email=user["email"],
                            dedupe_key=f"test-{next(_seq)}", subject=subject, status="sent",
                            created_at=NOW)
    await OutboxMessage.insert(message)
    return message.id
