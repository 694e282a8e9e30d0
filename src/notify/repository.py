"""The SQL of notify's own tables (`outbox_message`, `invite_sequence`) that other packages
reach through the Notifier port: the outbox insert runs in the caller's transaction."""
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
