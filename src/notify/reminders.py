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
from notify import context as ctx
from notify.notifier import feedback_request_key, host_roster_key, reminder_key
from notify.outbox import is_sqlite
from notify.rules import feedback_window, reminder_wanted, reminder_windows, roster_window


def _filter_only(column: str) -> str:
    """On SQLite, `+column` keeps the planner off that column's index: without ANALYZE it
    would prefer an equality on `status` (most rows) to the narrow `starts_at` range."""
    return f"+{column}" if is_sqlite() else column


async def due_reminders(now: dt.datetime, offsets: Sequence[dt.timedelta]) -> list[OutboxRow]:
    rows: list[OutboxRow] = []
    for window in reminder_windows(offsets, now):
        seconds = window.offset_seconds
        found = await ctx.fetch(
            'SELECT b.id AS booking_id, b."user" AS user_id, b.created_at AS booked_at,'
            " s.id AS session_id, s.starts_at AS starts_at"
            ' FROM workshop_session s CROSS JOIN booking b'
            ' WHERE b."session" = s.id AND s.starts_at > {} AND s.starts_at <= {}'
            f" AND {_filter_only('s.status')} = 'scheduled'"
            f" AND {_filter_only('b.status')} = 'confirmed'"
            " AND NOT EXISTS (SELECT 1 FROM outbox_message o"
            f"  WHERE o.dedupe_key = 'reminder:' || b.id || ':{seconds}')",
            window.starts_after, window.starts_until,
        )
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
    found = await ctx.fetch(
        'SELECT s.id AS session_id, w."host" AS host_id'
        ' FROM workshop_session s JOIN workshop w ON w.id = s."workshop"'
        f" WHERE s.starts_at > {{}} AND s.starts_at <= {{}} AND {_filter_only('s.status')} = 'scheduled'"
        f" AND {_filter_only('w.status')} = 'published'"
        " AND NOT EXISTS (SELECT 1 FROM outbox_message o"
        "  WHERE o.dedupe_key = 'host_roster:' || s.id)",
        *window,
    )
    return [OutboxRow("host_roster", host_roster_key(r["session_id"]), r["host_id"],
                      {"session_id": r["session_id"]}) for r in found]


async def due_feedback_requests(now: dt.datetime, delay: dt.timedelta) -> list[OutboxRow]:
    earliest_end, latest_end = feedback_window(now, delay)
    # ends_at has no index: bound starts_at (indexed) first; a session starts before it ends
    found = await ctx.fetch(
        'SELECT b.id AS booking_id, b."user" AS user_id, s.id AS session_id'
        ' FROM workshop_session s CROSS JOIN booking b'
        ' WHERE b."session" = s.id AND s.starts_at >= {} AND s.starts_at <= {}'
        " AND s.ends_at >= {} AND s.ends_at <= {}"
        f" AND {_filter_only('s.status')} = 'scheduled' AND {_filter_only('b.status')} = 'confirmed'"
        " AND b.attendance <> 'no_show'"
        " AND NOT EXISTS (SELECT 1 FROM outbox_message o"
        "  WHERE o.dedupe_key = 'feedback_request:' || b.id)",
        earliest_end - dt.timedelta(days=2), latest_end, earliest_end, latest_end,
    )
    return [OutboxRow("feedback_request", feedback_request_key(r["booking_id"]), r["user_id"],
                      {"booking_id": r["booking_id"], "session_id": r["session_id"]})
            for r in found]
