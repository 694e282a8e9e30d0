"""The SEQUENCE counter per (session, participant) behind every calendar file.

A calendar message (invite, update, cancellation) takes the next value atomically when it is
rendered: `max(previous + 1, session.sequence)`, in one upsert, so two workers rendering at
once still get distinct, increasing values, and a cancel followed by a new booking of the same
session keeps going up. The counter also remembers the state (REQUEST or CANCEL) its last
value was handed out for.

Reads (the invite.ics download, the personal feed) show the UID's current state. They reuse
the last value when it was handed out for that same state (and is not below the session's
sequence), so repeated downloads and feed polls do not move it; when the state differs — the
booking was cancelled or made again and its email is not rendered yet — the read takes a new
value like a message would. So one SEQUENCE always means one state, whichever file carries it,
a download is never below a message already sent, and every later message outranks it.
"""
from __future__ import annotations

from collections.abc import Sequence

from notify import repository

REQUEST, CANCEL = "REQUEST", "CANCEL"


def pair(session_id: int, user_id: int) -> str:
    return f"{session_id}:{user_id}"


async def next_sequence(session_id: int, user_id: int, session_sequence: int,
                        method: str | None = None) -> int:
    """Bump and return the participant's SEQUENCE for this session (a message in `method`)."""
    return await repository.next_invite_sequence(pair(session_id, user_id), max(0, session_sequence),
                                                 method)


async def shown_sequence(session_id: int, user_id: int, session_sequence: int, method: str) -> int:
    """The SEQUENCE a download shows for the UID in state `method` (see the module's doc)."""
    shown = await shown_sequences([(session_id, user_id, session_sequence, method)])
    return shown[session_id, user_id]


async def shown_sequences(states: Sequence[tuple[int, int, int, str]]) -> dict[tuple[int, int], int]:
    """The SEQUENCE shown for many (session, user, session sequence, method) at once (the
    feed): one read, and a write only for the pairs whose stored value cannot be shown as it
    is (that write decides again, atomically, in case a message took a value meanwhile)."""
    stored = await repository.invite_states([pair(s, u) for s, u, _, _ in states])
    shown: dict[tuple[int, int], int] = {}
    for session_id, user_id, floor, method in states:
        name, floor = pair(session_id, user_id), max(0, floor)
        current = stored.get(name)
        if current is not None and current[1] == method and current[0] >= floor:
            shown[session_id, user_id] = current[0]
        else:
            shown[session_id, user_id] = await repository.shown_invite_sequence(name, floor, method)
    return shown


async def stored_sequence(session_id: int, user_id: int) -> int | None:
    """The last SEQUENCE handed out for this participant and session, None if none was."""
    return await repository.invite_sequence(pair(session_id, user_id))

