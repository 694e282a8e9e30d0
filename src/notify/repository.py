"""Every query on notify's own tables (`outbox_message`, `invite_sequence`): the outbox insert
that other packages run, through the Notifier port, in their own transactions; the delivery
worker's claim and settlements; the stored renderings; the /dev/outbox and data-export reads;
the SEQUENCE counters.

Documented cross-package reads (one indexed query each, for speed): the scheduled scans
(`DUE_REMINDERS`, `DUE_ROSTERS`, `DUE_FEEDBACK_REQUESTS`) read `workshop_session`, `workshop`
and `booking` in the same statement as the `NOT EXISTS` on the outbox's unique dedupe key."""
from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from typing import Any

from kernel.events import OutboxRow
from booking.schemas import Attendance, BookingStatus
from kernel.sql import Sql, execute, fetch_all, fetch_one, placeholders
from notify.context import utc
from notify.schemas import OutboxStatus
from notify.tables import InviteSequence, OutboxMessage
from workshops.enums import SessionStatus, WorkshopStatus

# the statuses as SQL literals, written into the statements below once, at import
PENDING = f"'{OutboxStatus.pending}'"
SENDING = f"'{OutboxStatus.sending}'"
SENT = f"'{OutboxStatus.sent}'"
SKIPPED = f"'{OutboxStatus.skipped}'"
# (the scheduled scans read other packages' rows: their statuses too)
_SCHEDULED = f"'{SessionStatus.scheduled}'"
_PUBLISHED = f"'{WorkshopStatus.published}'"
_CONFIRMED = f"'{BookingStatus.confirmed}'"
_NO_SHOW = f"'{Attendance.no_show}'"

# ------------------------------------------------------------------------- writing rows

OUTBOX_COLUMNS = (
    '"kind", "recipient", "recipient_email", "dedupe_key", "payload", "next_attempt_at", '
    '"created_at", "status", "attempts", "attachments", "channel"'
)
OUTBOX_INSERT = Sql(
    f"INSERT INTO outbox_message ({OUTBOX_COLUMNS}) "
    f"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, {PENDING}, 0, '[]', ?7) ON CONFLICT (dedupe_key) DO NOTHING"
)


# A row with a coalescing key: first the pending, unrendered row of that key (if any) takes the
# new dedupe key and payload — so the INSERT after it meets its own key and adds nothing; else
# the INSERT adds the row with its key. ?1 coalesce key, ?2 new dedupe key, ?3 payload.
OUTBOX_COALESCE = Sql(
    "UPDATE outbox_message SET dedupe_key = ?2, payload = ?3 WHERE id = ("
    f"SELECT id FROM outbox_message WHERE coalesce_key = ?1 AND status = {PENDING} "
    "AND rendered_at IS NULL ORDER BY id DESC LIMIT 1)"
)
OUTBOX_INSERT_COALESCING = Sql(
    f"INSERT INTO outbox_message ({OUTBOX_COLUMNS}, \"coalesce_key\") "
    f"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, {PENDING}, 0, '[]', ?7, ?8) ON CONFLICT (dedupe_key) DO NOTHING"
)


def outbox_statements(row: OutboxRow, now: dt.datetime) -> list[tuple[Sql, tuple[Any, ...]]]:
    """The statements that write one row (two when it coalesces), in the caller's transaction."""
    params = outbox_params(row, now)
    if row.coalesce_key is None:
        return [(OUTBOX_INSERT, params)]
    return [(OUTBOX_COALESCE, (row.coalesce_key, row.dedupe_key, params[4])),
            (OUTBOX_INSERT_COALESCING, (*params, row.coalesce_key))]


def _values(first: int) -> str:
    n = first
    return f"(?{n}, ?{n + 1}, ?{n + 2}, ?{n + 3}, ?{n + 4}, ?{n + 5}, ?{n + 5}, {PENDING}, 0, '[]', ?{n + 6})"


async def insert_outbox_rows(rows: Sequence[OutboxRow], now: dt.datetime, chunk: int = 200) -> int:
    """Insert outbox rows, skipping dedupe keys already present (a row with a coalescing key
    may replace a pending one instead). Returns how many were new."""
    inserted = 0
    for row in rows:
        if row.coalesce_key is not None:
            coalesce, insert = outbox_statements(row, now)
            await execute(Sql.of(coalesce[0].sqlite + " RETURNING id", coalesce[0].postgres + " RETURNING id"),
                          *coalesce[1])
            inserted += await execute(Sql.of(insert[0].sqlite + " RETURNING id",
                                             insert[0].postgres + " RETURNING id"), *insert[1])
    rows = [row for row in rows if row.coalesce_key is None]
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        values = ", ".join(_values(1 + 7 * i) for i in range(len(part)))
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
            json.dumps(row.payload, separators=(",", ":"), default=str), now.astimezone(dt.timezone.utc),
            row.channel)


# ------------------------------------------------------------------------- reading rows

RECORD_COLUMNS = (
    "id, kind, recipient, recipient_email, dedupe_key, payload, subject, body_text, body_html, "
    "attachments, status, attempts, next_attempt_at, claimed_until, claimed_by, rendered_at, "
    "last_error, message_id, created_at, sent_at, channel"
)
_TIMESTAMPS = ("next_attempt_at", "claimed_until", "rendered_at", "created_at", "sent_at")


def decode_record(row: Any) -> dict[str, Any]:
    """A row as the delivery code uses it: JSON columns decoded, timestamps aware UTC."""
    record = dict(row)
    for key, empty in (("payload", {}), ("attachments", [])):
        value = record.get(key)
        if isinstance(value, (str, bytes)):
            value = json.loads(value) if value else empty
        record[key] = value if value is not None else empty
    for key in _TIMESTAMPS:
        if key in record:
            record[key] = utc(record[key])
    return record


MESSAGE_BY_ID = Sql(f"SELECT {RECORD_COLUMNS} FROM outbox_message WHERE id = ?1")
# ?1 limit, ?2 offset
NEWEST_MESSAGES = Sql(
    "SELECT id, kind, recipient, recipient_email, dedupe_key, status, attempts, last_error, "
    "created_at, sent_at, next_attempt_at, channel FROM outbox_message ORDER BY id DESC LIMIT ?1 OFFSET ?2"
)


async def outbox_record(message_id: int) -> dict[str, Any] | None:
    row = await fetch_one(MESSAGE_BY_ID, message_id)
    return None if row is None else decode_record(row)


async def outbox_page(limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Newest rows first, and how many there are (the /dev/outbox page)."""
    rows = await fetch_all(NEWEST_MESSAGES, limit, offset)
    total = await OutboxMessage.count()
    return [decode_record(r) for r in rows], total


async def emails_sent_to(user_id: int) -> list[dict[str, Any]]:
    """Kind, subject, status and creation time of every outbox row addressed to the user,
    oldest first (their data export)."""
    return await (
        OutboxMessage.select(OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.status,
                             OutboxMessage.created_at)
        .where((OutboxMessage.recipient == user_id) & (OutboxMessage.channel == "email"))
        .order_by(OutboxMessage.id)
    )


# ------------------------------------------------------------------------- claiming

# ?1 now: due are pending rows whose time has come and rows whose claim ran out (a crashed worker)
_DUE = (f"((status = {PENDING} AND next_attempt_at <= ?1) "
        f"OR (status = {SENDING} AND claimed_until <= ?1))")
# ?1 now, ?2 claimed_until (now + lease), ?3 the claiming worker, ?4 how many at most.
# SQLite: one statement holds the write lock from start to end, so no one else claims meanwhile.
# PostgreSQL: several workers split the due rows between them (SKIP LOCKED). MATERIALIZED: the
# locking subquery runs exactly once; inlined into a join, PostgreSQL may rescan it, and each
# rescan SKIPs the rows the previous one locked: more than ?4 rows would be claimed.
CLAIM_DUE = Sql.of(
    f"UPDATE outbox_message SET status = {SENDING}, claimed_until = ?2, claimed_by = ?3 "
    f"WHERE id IN (SELECT id FROM outbox_message WHERE {_DUE} "
    f"ORDER BY next_attempt_at, id LIMIT ?4) AND {_DUE} RETURNING {RECORD_COLUMNS}",
    Sql(
        f"WITH due AS MATERIALIZED (SELECT id FROM outbox_message WHERE {_DUE} "
        "ORDER BY next_attempt_at, id LIMIT ?4 FOR UPDATE SKIP LOCKED) "
        f"UPDATE outbox_message AS o SET status = {SENDING}, claimed_until = ?2, claimed_by = ?3 "
        f"FROM due WHERE o.id = due.id RETURNING "
        + ", ".join("o." + c for c in RECORD_COLUMNS.split(", "))
    ).postgres,
)


async def claim_due(now: dt.datetime, owner: str, limit: int,
                    claimed_until: dt.datetime) -> list[dict[str, Any]]:
    """Mark up to `limit` due rows `sending` for `owner` until `claimed_until`; the rows
    claimed, oldest due first."""
    records = [decode_record(r) for r in await fetch_all(CLAIM_DUE, now, claimed_until, owner, limit)]
    records.sort(key=lambda r: (r["next_attempt_at"], r["id"]))
    return records


# ------------------------------------------------------------------------- settling

def _settling(sets: str, first: int) -> Sql:
    """An update of one row that only its claiming worker may make (?first: its id,
    ?first+1: the worker), releasing the claim."""
    return Sql(
        f"UPDATE outbox_message SET {sets}, claimed_until = NULL, claimed_by = NULL "
        f"WHERE id = ?{first} AND claimed_by = ?{first + 1} AND status = {SENDING} RETURNING id"
    )


# ?1 sent_at, ?2 attempts to add (0 for a fan-out row expanded, not sent)
MARK_SENT = _settling(f"status = {SENT}, sent_at = ?1, last_error = NULL, attempts = attempts + ?2", 3)
# ?1 why
MARK_SKIPPED = _settling(f"status = {SKIPPED}, last_error = ?1", 2)
# ?1 status (pending again, or failed), ?2 attempts, ?3 last_error, ?4 next_attempt_at
MARK_ATTEMPT_FAILED = _settling(
    "status = ?1, attempts = ?2, last_error = ?3, next_attempt_at = ?4", 5)
# ?1 … ?8 the rendering (subject, bodies, attachments, rendered_at, recipient, its address,
# the Message-ID); the claim is kept: the row is sent next
STORE_RENDERING = Sql(
    "UPDATE outbox_message SET subject = ?1, body_text = ?2, body_html = ?3, attachments = ?4, "
    "rendered_at = ?5, recipient = ?6, recipient_email = ?7, message_id = ?8 "
    f"WHERE id = ?9 AND claimed_by = ?10 AND status = {SENDING} RETURNING id"
)


@functools.lru_cache(maxsize=64)
def _renew_claims(count: int) -> Sql:
    # ?1 the new claimed_until, ?2 the claiming worker, ?3 … the ids
    return Sql(
        f"UPDATE outbox_message SET claimed_until = ?1 WHERE claimed_by = ?2 AND status = {SENDING} "
        f"AND id IN ({placeholders(3, count)}) RETURNING id"
    )


async def renew_claims(ids: Sequence[int], owner: str, claimed_until: dt.datetime) -> list[int]:
    """Extend `owner`'s claim on these rows (a heartbeat); the ids it still held."""
    if not ids:
        return []
    return [int(row["id"]) for row in await fetch_all(_renew_claims(len(ids)), claimed_until, owner, *ids)]


@functools.lru_cache(maxsize=64)
def _release_claims(count: int) -> Sql:
    # ?1 the claiming worker, ?2 … the ids
    return Sql(
        f"UPDATE outbox_message SET status = {PENDING}, claimed_until = NULL, claimed_by = NULL "
        f"WHERE claimed_by = ?1 AND status = {SENDING} AND id IN ({placeholders(2, count)})"
    )


async def release_claims(ids: Sequence[int], owner: str) -> int:
    """Give `owner`'s claim on these rows up (they are due again at once); how many it held."""
    if not ids:
        return 0
    return await execute(_release_claims(len(ids)), owner, *ids)


async def mark_sent(message_id: int, owner: str, now: dt.datetime, attempts_added: int) -> bool:
    """Settle a claimed row as sent; False if `owner` no longer holds it."""
    return bool(await execute(MARK_SENT, now, attempts_added, message_id, owner))


async def mark_skipped(message_id: int, owner: str, reason: str) -> bool:
    return bool(await execute(MARK_SKIPPED, reason, message_id, owner))


async def mark_attempt_failed(message_id: int, owner: str, status: OutboxStatus, attempts: int,
                              error: str, next_attempt_at: dt.datetime) -> bool:
    """Settle a failed attempt: `pending` again at `next_attempt_at`, or `failed` for good."""
    return bool(await execute(MARK_ATTEMPT_FAILED, status.value, attempts, error, next_attempt_at,
                              message_id, owner))


async def store_rendering(message_id: int, owner: str, rendered_at: dt.datetime, *, subject: str,
                          body_text: str, body_html: str, attachments: list[dict[str, Any]],
                          recipient_id: int, recipient_email: str, message_id_header: str | None) -> bool:
    """Keep a claimed row's rendering and Message-ID (a retry sends the same); False if
    `owner` lost it."""
    return bool(await execute(
        STORE_RENDERING, subject, body_text, body_html,
        json.dumps(attachments, separators=(",", ":")), rendered_at, recipient_id,
        recipient_email, message_id_header, message_id, owner))


# ------------------------------------------------------------------------- text messages

# ?1 a number: the last text sent to it (what a reply is about), through outbox_message_sms_to
LAST_TEXT_TO = Sql(
    f"SELECT id, kind, payload, subject, sent_at FROM outbox_message WHERE channel = 'sms' "
    f"AND recipient_email = ?1 AND status = {SENT} ORDER BY sent_at DESC, id DESC LIMIT 1")
# ?1 MessageSid, ?2 number, ?3 the word, ?4 now: a reply taken in once (a replay inserts nothing)
RECORD_INBOUND = Sql(
    "INSERT INTO sms_inbound (message_sid, phone, word, received_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (message_sid) DO NOTHING RETURNING id")


async def last_text_to(phone: str) -> dict[str, Any] | None:
    row = await fetch_one(LAST_TEXT_TO, phone)
    return None if row is None else decode_record(row)


async def record_inbound(message_sid: str, phone: str, word: str, now: dt.datetime) -> bool:
    """Keep a reply's SID; False when it was already taken in (a replay)."""
    return await fetch_one(RECORD_INBOUND, message_sid, phone, word[:16], now) is not None


# ------------------------------------------------------------------------- invite sequences

# ?1 the (session, participant) pair, ?2 the session's own sequence (a floor), ?3 the state the
# new value is handed out for (REQUEST, CANCEL; NULL: unknown)
NEXT_INVITE_SEQUENCE = Sql.of(
    "INSERT INTO invite_sequence (pair, sequence, method) VALUES (?1, ?2, ?3) ON CONFLICT (pair) "
    "DO UPDATE SET sequence = MAX(invite_sequence.sequence + 1, excluded.sequence), "
    "method = excluded.method RETURNING sequence",
    "INSERT INTO invite_sequence (pair, sequence, method) VALUES ($1, $2, $3) ON CONFLICT (pair) "
    "DO UPDATE SET sequence = GREATEST(invite_sequence.sequence + 1, excluded.sequence), "
    "method = excluded.method RETURNING sequence",
)
# The same for a read (a download, the feed) showing state ?3: the stored value again if it was
# handed out for that very state and is not below the session's; otherwise a new one, as for
# a message. One statement, so the decision and the write cannot be split by another writer.
_SHOWN = ("CASE WHEN invite_sequence.method = excluded.method "
          "AND invite_sequence.sequence >= excluded.sequence THEN invite_sequence.sequence "
          "ELSE {greatest}(invite_sequence.sequence + 1, excluded.sequence) END")
SHOWN_INVITE_SEQUENCE = Sql.of(
    "INSERT INTO invite_sequence (pair, sequence, method) VALUES (?1, ?2, ?3) ON CONFLICT (pair) "
    f"DO UPDATE SET sequence = {_SHOWN.format(greatest='MAX')}, method = excluded.method "
    "RETURNING sequence",
    "INSERT INTO invite_sequence (pair, sequence, method) VALUES ($1, $2, $3) ON CONFLICT (pair) "
    f"DO UPDATE SET sequence = {_SHOWN.format(greatest='GREATEST')}, method = excluded.method "
    "RETURNING sequence",
)


async def next_invite_sequence(pair: str, floor: int, method: str | None = None) -> int:
    """Bump the pair's counter to max(previous + 1, floor), atomically, and return it; `method`
    is the state that value stands for."""
    row = await fetch_one(NEXT_INVITE_SEQUENCE, pair, floor, method)
    return int(row["sequence"])


async def shown_invite_sequence(pair: str, floor: int, method: str) -> int:
    """The value a read shows for `method`: the stored one if it stands for that state and is
    at least `floor`, else a new one (atomically, see SHOWN_INVITE_SEQUENCE)."""
    row = await fetch_one(SHOWN_INVITE_SEQUENCE, pair, floor, method)
    return int(row["sequence"])


async def invite_sequence(pair: str) -> int | None:
    row = await InviteSequence.select(InviteSequence.sequence).where(
        InviteSequence.pair == pair).first()
    return None if row is None else int(row["sequence"])


async def invite_states(pairs: Sequence[str]) -> dict[str, tuple[int, str | None]]:
    """(sequence, method) of those pairs that have a counter, in one query."""
    if not pairs:
        return {}
    rows = await InviteSequence.select(
        InviteSequence.pair, InviteSequence.sequence, InviteSequence.method).where(
        InviteSequence.pair.is_in(list(pairs)))
    return {r["pair"]: (int(r["sequence"]), r["method"]) for r in rows}



# ------------------------------------------------------------------------- scheduled scans

def _planned(template: str) -> Sql:
    """`{f}` marks a column whose index SQLite's planner must not use (`+column`: without
    ANALYZE it would prefer an equality on `status`, most rows, to the narrow `starts_at`
    range); PostgreSQL plans it well as it is."""
    return Sql.of(template.format(f="+"), Sql(template.format(f="")).postgres)


# ?1, ?2 the window of starts_at; ?3 the offset in seconds (the reminder's dedupe key)
DUE_REMINDERS = _planned(
    # a neighbour's booking: the relay who made it is reminded (walk-ins and standby are at the door)
    'SELECT b.id AS booking_id, COALESCE(b."user", b.booked_by) AS user_id, b.created_at AS booked_at,'
    " s.id AS session_id, s.starts_at AS starts_at"
    " FROM workshop_session s CROSS JOIN booking b"
    ' WHERE b."session" = s.id AND s.starts_at > ?1 AND s.starts_at <= ?2'
    f" AND {{f}}s.status = {_SCHEDULED} AND {{f}}b.status = {_CONFIRMED} AND b.source IN ('self', 'relay')"
    " AND NOT EXISTS (SELECT 1 FROM outbox_message o"
    "  WHERE o.dedupe_key = 'reminder:' || b.id || ':' || ?3)"
)
DUE_ROSTERS = _planned(
    'SELECT s.id AS session_id, w."host" AS host_id'
    ' FROM workshop_session s JOIN workshop w ON w.id = s."workshop"'
    f" WHERE s.starts_at > ?1 AND s.starts_at <= ?2 AND {{f}}s.status = {_SCHEDULED}"
    f" AND {{f}}w.status = {_PUBLISHED}"
    f' AND EXISTS (SELECT 1 FROM booking b WHERE b."session" = s.id AND b.status = {_CONFIRMED})'
    " AND NOT EXISTS (SELECT 1 FROM outbox_message o WHERE o.dedupe_key = 'host_roster:' || s.id)"
)
# ends_at has no index: bound starts_at (indexed) first; a session starts before it ends
DUE_FEEDBACK_REQUESTS = _planned(
    'SELECT b.id AS booking_id, b."user" AS user_id, s.id AS session_id'
    " FROM workshop_session s CROSS JOIN booking b JOIN workshop w ON w.id = s.\"workshop\""
    ' WHERE b."session" = s.id AND s.starts_at >= ?1 AND s.starts_at <= ?2'
    " AND s.ends_at >= ?3 AND s.ends_at <= ?2"
    f" AND {{f}}s.status = {_SCHEDULED} AND {{f}}b.status = {_CONFIRMED}"
    f" AND b.attendance <> {_NO_SHOW}"
    # a host who booked a seat on their own session is not asked to rate it
    ' AND b."user" <> w."host"'
    " AND NOT EXISTS (SELECT 1 FROM outbox_message o WHERE o.dedupe_key = 'feedback_request:' || b.id)"
)
