"""Helpers shared by the booking tests: a notifier that writes one outbox row per event; the
one way to book (and queue) through HTTP, and the one way through the store (which also
opens payment holds, as no endpoint does until payments land); raw reads of the rows."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any

import httpx

from booking import ops
from booking.rules import BookingPolicy
from booking.schemas import Booking
from kernel.events import DomainEvent, OutboxRow, RecordingNotifier
from notify.notifier import OutboxNotifier
from tests.factories import auth

HOLDS = BookingPolicy(payment_hold=dt.timedelta(minutes=30))
_SEATS = object()  # the default body: {"seats": seats}


class OutboxCountingNotifier(RecordingNotifier):
    """Records events and turns each into one outbox row, so tests can count what committed."""

    outbox_writes = OutboxNotifier.outbox_writes  # writes the rows below for real

    def outbox_rows(self, events: Sequence[DomainEvent]) -> list[OutboxRow]:
        super().outbox_rows(events)
        return [OutboxRow(kind=e.name, dedupe_key=f"test:{e.name}:{uuid.uuid4().hex}", recipient_id=None,
                          payload=e.as_payload()) for e in events]

    def of(self, name: str) -> list[Any]:
        return [e for e in self.events if e.name == name]


# ------------------------------------------------------------------------------ through HTTP

def _checked(response: httpx.Response, expect: int | None) -> httpx.Response:
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def book(client: httpx.AsyncClient, user: dict[str, Any], session_id: int, seats: Any = 1, *,
               body: Any = _SEATS, key: str | None = None, expect: int | None = None) -> httpx.Response:
    """POST /api/v1/sessions/{id}/bookings as `user` with `{"seats": seats}` — or `body`, any
    JSON value, None for no body at all — and `key` as its Idempotency-Key; `expect` asserts
    the status code."""
    headers = auth(user) | ({"Idempotency-Key": key} if key is not None else {})
    content = {} if body is None else {"json": {"seats": seats} if body is _SEATS else body}
    return _checked(await client.post(f"/api/v1/sessions/{session_id}/bookings", headers=headers, **content),
                    expect)


async def join(client: httpx.AsyncClient, user: dict[str, Any], session_id: int, seats: Any = 1, *,
               expect: int | None = None) -> httpx.Response:
    """POST /api/v1/sessions/{id}/waitlist as `user` for `seats`; `expect` asserts the status."""
    return _checked(await client.post(f"/api/v1/sessions/{session_id}/waitlist", json={"seats": seats},
                                      headers=auth(user)), expect)


# ----------------------------------------------------------------------- through the store

async def book_in_store(runtime: Any, session_id: int, user_id: int, seats: int = 1, *,
                        policy: BookingPolicy = HOLDS) -> Booking:
    """Book through the store, payment holds enabled by default (a `stripe` workshop gets a
    hold; free and on-site ones are confirmed)."""
    booking, _ = await runtime.store.run(partial(
        ops.book_seats, session_id=session_id, user_id=user_id, seats=seats, now=runtime.clock.now(),
        policy=policy))
    return booking


async def join_in_store(runtime: Any, session_id: int, user_id: int, seats: int = 1, *,
                        policy: BookingPolicy = HOLDS) -> tuple[int, int]:
    """Queue on the waitlist through the store: (entry id, position)."""
    return await runtime.store.run(partial(
        ops.join_waitlist, session_id=session_id, user_id=user_id, seats=seats, now=runtime.clock.now(),
        policy=policy))


async def confirm_in_store(runtime: Any, booking_id: int) -> Booking:
    """Confirm a payment hold (what the payment webhook will do)."""
    return await runtime.store.run(partial(
        ops.confirm_hold, booking_id=booking_id, now=runtime.clock.now(), policy=HOLDS))


# --------------------------------------------------------------------------------- the rows

async def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    """Raw read of the test database (Piccolo placeholders `{}`)."""
    from booking.tables import Booking as BookingTable

    return await BookingTable.raw(sql, *params)


async def seats_taken_now(session_id: int, now: dt.datetime) -> int:
    """The capacity invariant's left-hand side, recomputed from the rows (on purpose not with
    `booking.repository.seat_counts`: this is what the tests check it against)."""
    booked = await rows(
        "SELECT COALESCE(SUM(seats), 0) AS n FROM booking WHERE \"session\" = {} AND (status = 'confirmed' "
        "OR (status = 'pending_payment' AND hold_expires_at > {}))", session_id, now)
    offered = await rows(
        "SELECT COALESCE(SUM(seats), 0) AS n FROM waitlist_entry WHERE \"session\" = {} "
        "AND status = 'offered' AND offer_expires_at > {}", session_id, now)
    return int(booked[0]["n"]) + int(offered[0]["n"])


# ------------------------------------------------------------------- races between processes

async def race_processes(module: str, *argument_lists: list[str], root: Any) -> list[dict[str, Any]]:
    """Start `python -m module *arguments` once per list; when every one has printed "ready",
    tell them all "go" at once; answer each one's last line (JSON). Any process still running
    when this ends (a failure) is killed."""
    import asyncio
    import json
    import sys

    processes = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *arguments, cwd=root, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE) for arguments in argument_lists]
    try:
        for process in processes:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
            assert line.strip() == b"ready", (line, await process.stderr.read())
        for process in processes:  # all are waiting: let them go together
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        results = []
        for process in processes:
            out, err = await asyncio.wait_for(process.communicate(), timeout=60)
            assert process.returncode == 0, err.decode()[-2000:]
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
        return results
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
