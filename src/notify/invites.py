"""The SEQUENCE counter per (session, participant) behind every calendar message.

A calendar message (invite, update, cancellation) takes the next value atomically when it is
rendered: `max(previous + 1, session.sequence)`, in one upsert, so two workers rendering at
once still get distinct, increasing values, and a cancel followed by a new booking of the same
session keeps going up. Reads (the invite.ics endpoint, the personal feed) show the current
value without bumping it: `max(stored, session.sequence)`.
"""
from __future__ import annotations

from piccolo.engine.sqlite import SQLiteEngine

from notify.tables import InviteSequence


def pair(session_id: int, user_id: int) -> str:
    return f"{session_id}:{user_id}"


def _is_sqlite() -> bool:
    return isinstance(InviteSequence._meta.db, SQLiteEngine)


async def next_sequence(session_id: int, user_id: int, session_sequence: int) -> int:
    """Bump and return the participant's SEQUENCE for this session."""
    greatest = "MAX" if _is_sqlite() else "GREATEST"
    rows = await InviteSequence.raw(
        "INSERT INTO invite_sequence (pair, sequence) VALUES ({}, {}) "
        f"ON CONFLICT (pair) DO UPDATE SET sequence = {greatest}(invite_sequence.sequence + 1, "
        "excluded.sequence) RETURNING sequence",
        pair(session_id, user_id), max(0, session_sequence),
    )
    return int(rows[0]["sequence"])


async def stored_sequence(session_id: int, user_id: int) -> int | None:
    """The last SEQUENCE sent to this participant about this session, None if none was."""
    row = await InviteSequence.select(InviteSequence.sequence).where(
        InviteSequence.pair == pair(session_id, user_id)).first()
    return None if row is None else int(row["sequence"])


async def current_sequences(keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Stored sequences of many (session, user) pairs in one query (the personal feed)."""
    if not keys:
        return {}
    names = {pair(s, u): (s, u) for s, u in keys}
    rows = await InviteSequence.select(InviteSequence.pair, InviteSequence.sequence).where(
        InviteSequence.pair.is_in(list(names)))
    return {names[r["pair"]]: int(r["sequence"]) for r in rows}
