"""Scheduled notifications: reminders, host rosters and feedback requests.

Each scan is one indexed query: sessions whose `starts_at` falls in a narrow window (the
`workshop_session.starts_at` index) joined to their bookings (the `booking.session` index),
minus those whose dedupe key is already in the outbox (its unique index). Nothing loads all
bookings. The rows found are written with `INSERT … ON CONFLICT (dedupe_key) DO NOTHING`, so
two workers scanning at once still produce one message each.

Reminders use the session's *current* `starts_at`: after a reschedule the new time counts. A
reminder already sent for an offset is not sent again for that offset after a reschedule
(its dedupe key `reminder:{booking}:{offset}` exists); the participant learnt the new time
from the session_updated message, and the next offset's reminder follows the new time.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kernel.events import OutboxRow
from kernel.sql import fetch_all
from notify import context as ctx
from notify import repository
from notify.notifier import feedback_request_key, host_roster_key, reminder_key
from notify.rules import feedback_window, reminder_wanted, reminder_windows, roster_window


async def due_reminders(now: dt.datetime, offsets: Sequence[dt.timedelta]) -> list[OutboxRow]:
    rows: list[OutboxRow] = []
    for window in reminder_windows(offsets, now):
        seconds = window.offset_seconds
        found = await fetch_all(repository.DUE_REMINDERS, window.starts_after, window.starts_until,
                                str(seconds))
        for r in found:
            starts_at, booked_at = ctx.utc(r["starts_at"]), ctx.utc(r["booked_at"])
            if not reminder_wanted(starts_at, booked_at, window.offset):
                continue
            rows.append(OutboxRow(
                "reminder", reminder_key(r["booking_id"], seconds), r["user_id"],
                {"booking_id": r["booking_id"], "session_id": r["session_id"],
                 "offset_seconds": seconds, "starts_at": starts_at.isoformat()},
            ))
    return rows


async def due_rosters(now: dt.datetime, offsets: Sequence[dt.timedelta]) -> list[OutboxRow]:
    window = roster_window(offsets, now)
    if window is None:
        return []
    found = await fetch_all(repository.DUE_ROSTERS, *window)
    return [OutboxRow("host_roster", host_roster_key(r["session_id"]), r["host_id"],
                      {"session_id": r["session_id"]}) for r in found]


async def due_feedback_requests(now: dt.datetime, delay: dt.timedelta) -> list[OutboxRow]:
    earliest_end, latest_end = feedback_window(now, delay)
    found = await fetch_all(repository.DUE_FEEDBACK_REQUESTS, earliest_end - dt.timedelta(days=2),
                            latest_end, earliest_end)
    return [OutboxRow("feedback_request", feedback_request_key(r["booking_id"]), r["user_id"],
                      {"booking_id": r["booking_id"], "session_id": r["session_id"]})
            for r in found]
