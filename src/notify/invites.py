"""The SEQUENCE counter per (session, participant) behind every calendar message.

A calendar message (invite, update, cancellation) takes the next value atomically when it is
rendered: `max(previous + 1, session.sequence)`, in one upsert, so two workers rendering at
once still get distinct, increasing values, and a cancel followed by a new booking of the same
session keeps going up. Reads (the invite.ics endpoint, the personal feed) show the current
value without bumping it: `max(stored, session.sequence)`.
"""
from __future__ import annotations

from notify import repository


def pair(session_id: int, user_id: int) -> str:
    return f"{session_id}:{user_id}"


async def next_sequence(session_id: int, user_id: int, session_sequence: int) -> int:
    """Bump and return the participant's SEQUENCE for this session."""
    return await repository.next_invite_sequence(pair(session_id, user_id), max(0, session_sequence))


async def stored_sequence(session_id: int, user_id: int) -> int | None:
    """The last SEQUENCE sent to this participant about this session, None if none was."""
    return await repository.invite_sequence(pair(session_id, user_id))


async def current_sequences(keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Stored sequences of many (session, user) pairs in one query (the personal feed)."""
    names = {pair(s, u): (s, u) for s, u in keys}
    stored = await repository.invite_sequences(list(names))
    return {names[name]: sequence for name, sequence in stored.items()}
