"""Helpers shared by the booking tests: a notifier that writes one outbox row per event, and
direct store calls (the hold path, which no endpoint opens until payments land)."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any

from kernel.events import DomainEvent, OutboxRow, RecordingNotifier
from notify.notifier import OutboxNotifier
from booking import ops
from booking.rules import BookingPolicy

HOLDS = BookingPolicy(payment_hold=dt.timedelta(minutes=30))


class OutboxCountingNotifier(RecordingNotifier):
    """Records events and turns each into one outbox row, so tests can count what committed."""

    outbox_writes = OutboxNotifier.outbox_writes  # writes the rows below for real

    def outbox_rows(self, events: Sequence[DomainEvent]) -> list[OutboxRow]:
        super().outbox_rows(events)
        return [OutboxRow(kind=e.name, dedupe_key=f"test:{e.name}:{uuid.uuid4().hex}", recipient_id=None,
                          payload=e.as_payload()) for e in events]

    def of(self, name: str) -> list[Any]:
        return [e for e in self.events if e.name == name]


async def hold_seats(runtime: Any, session_id: int, user_id: int, seats: int = 1,
                     policy: BookingPolicy = HOLDS) -> Any:
    """Book through the store with payment holds enabled (a `stripe` workshop gets a hold)."""
    booking, _ = await runtime.store.run(partial(
        ops.book_seats, session_id=session_id, user_id=user_id, seats=seats, now=runtime.clock.now(),
        policy=policy))
    return booking


async def confirm(runtime: Any, booking_id: int) -> Any:
    return await runtime.store.run(partial(
        ops.confirm_hold, booking_id=booking_id, now=runtime.clock.now(), policy=HOLDS))


async def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    """Raw read of the test database (Piccolo placeholders `{}`)."""
    from booking.tables import Booking

    return await Booking.raw(sql, *params)


async def seats_taken_now(session_id: int, now: dt.datetime) -> int:
    """The capacity invariant's left-hand side, recomputed from the rows."""
    booked = await rows(
        "SELECT COALESCE(SUM(seats), 0) AS n FROM booking WHERE \"session\" = {} AND (status = 'confirmed' "
        "OR (status = 'pending_payment' AND hold_expires_at > {}))", session_id, now)
    offered = await rows(
        "SELECT COALESCE(SUM(seats), 0) AS n FROM waitlist_entry WHERE \"session\" = {} "
        "AND status = 'offered' AND offer_expires_at > {}", session_id, now)
    return int(booked[0]["n"]) + int(offered[0]["n"])
