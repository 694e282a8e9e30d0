"""The SQL of notify's own tables (`outbox_message`, `invite_sequence`); the outbox insert is
what other packages run, through the Notifier port, in their own transactions.

Documented cross-package reads (one indexed query each, for speed): the scheduled scans
(`DUE_REMINDERS`, `DUE_ROSTERS`, `DUE_FEEDBACK_REQUESTS`) read `workshop_session`, `workshop`
and `booking` in the same statement as the `NOT EXISTS` on the outbox's unique dedupe key."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from kernel.events import OutboxRow
from kernel.sql import Sql, execute

OUTBOX_COLUMNS = (
    '"kind", "recipient", "recipient_email", "dedupe_key", "payload", "next_attempt_at", '
    '"created_at", "status", "attempts", "attachments"'
)
OUTBOX_INSERT = Sql(
    f"INSERT INTO outbox_message ({OUTBOX_COLUMNS}) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 'pending', 0, '[]') ON CONFLICT (dedupe_key) DO NOTHING"
)


def _values(first: int) -> str:
    n = first
    return f"(?{n}, ?{n + 1}, ?{n + 2}, ?{n + 3}, ?{n + 4}, ?{n + 5}, ?{n + 5}, 'pending', 0, '[]')"


async def insert_outbox_rows(rows: Sequence[OutboxRow], now: dt.datetime, chunk: int = 200) -> int:
    """Insert outbox rows, skipping dedupe keys already present. Returns how many were new."""
    inserted = 0
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        values = ", ".join(_values(1 + 6 * i) for i in range(len(part)))
        params: list[Any] = []
        for row in part:
            params.extend(outbox_params(row, now))
        inserted += await execute(Sql(
            f"INSERT INTO outbox_message ({OUTBOX_COLUMNS}) VALUES {values} "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"), *params)
    return inserted


def outbox_params(row: OutboxRow, now: dt.datetime) -> tuple[Any, ...]:
    """The parameters of OUTBOX_INSERT for one row, due at once."""
    return (row.kind, row.recipient_id, row.recipient_email, row.dedupe_key,
            json.dumps(row.payload, separators=(",", ":"), default=str), now.astimezone(dt.timezone.utc))


def _planned(template: str) -> Sql:
    """`{f}` marks a column whose index SQLite's planner must not use (`+column`: without
    ANALYZE it would prefer an equality on `status`, most rows, to the narrow `starts_at`
    range); PostgreSQL plans it well as it is."""
    return Sql.of(template.format(f="+"), Sql(template.format(f="")).postgres)


# ?1, ?2 the window of starts_at; ?3 the offset in seconds (the reminder's dedupe key)
DUE_REMINDERS = _planned(
    'SELECT b.id AS booking_id, b."user" AS user_id, b.created_at AS booked_at,'
    " s.id AS session_id, s.starts_at AS starts_at"
    " FROM workshop_session s CROSS JOIN booking b"
    ' WHERE b."session" = s.id AND s.starts_at > ?1 AND s.starts_at <= ?2'
    " AND {f}s.status = 'scheduled' AND {f}b.status = 'confirmed'"
    " AND NOT EXISTS (SELECT 1 FROM outbox_message o"
    "  WHERE o.dedupe_key = 'reminder:' || b.id || ':' || ?3)"
)
DUE_ROSTERS = _planned(
    'SELECT s.id AS session_id, w."host" AS host_id'
    ' FROM workshop_session s JOIN workshop w ON w.id = s."workshop"'
    " WHERE s.starts_at > ?1 AND s.starts_at <= ?2 AND {f}s.status = 'scheduled'"
    " AND {f}w.status = 'published'"
    " AND NOT EXISTS (SELECT 1 FROM outbox_message o WHERE o.dedupe_key = 'host_roster:' || s.id)"
)
# ends_at has no index: bound starts_at (indexed) first; a session starts before it ends
DUE_FEEDBACK_REQUESTS = _planned(
    'SELECT b.id AS booking_id, b."user" AS user_id, s.id AS session_id'
    " FROM workshop_session s CROSS JOIN booking b"
    ' WHERE b."session" = s.id AND s.starts_at >= ?1 AND s.starts_at <= ?2'
    " AND s.ends_at >= ?3 AND s.ends_at <= ?2"
    " AND {f}s.status = 'scheduled' AND {f}b.status = 'confirmed'"
    " AND b.attendance <> 'no_show'"
    " AND NOT EXISTS (SELECT 1 FROM outbox_message o WHERE o.dedupe_key = 'feedback_request:' || b.id)"
)
