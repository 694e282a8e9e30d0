"""Races through HTTP: many participants at once for the last seats, never oversold."""
from __future__ import annotations

import asyncio
import random

import pytest

from tests.factories import auth, make_session, make_user, make_workshop
from tests.integration.booking.support import book, join, rows, seats_taken_now

pytestmark = pytest.mark.slow


async def test_sixty_participants_race_for_the_last_five_seats(client, notifier, clock):
    session = await make_session(capacity=8)
    for _ in range(3):
        assert (await book(client, await make_user(), session["id"])).status_code == 201
    users = [await make_user() for _ in range(60)]
    answers = await asyncio.gather(*[book(client, u, session["id"]) for u in users])
    codes = [a.status_code for a in answers]
    assert codes.count(201) == 5 and codes.count(409) == 55, codes
    assert {a.json()["type"].rsplit("/", 1)[1] for a in answers if a.status_code == 409} == {"session-full"}
    confirmed = await rows("SELECT COALESCE(SUM(seats), 0) AS n, COUNT(*) AS c FROM booking "
                           "WHERE \"session\" = {} AND status = 'confirmed'", session["id"])
    assert (int(confirmed[0]["n"]), int(confirmed[0]["c"])) == (8, 8)
    assert len(notifier.of("BookingConfirmed")) == 8
    outbox = await rows("SELECT COUNT(*) AS n FROM outbox_message WHERE kind = 'BookingConfirmed'")
    assert int(outbox[0]["n"]) == 8


async def test_mixed_sizes_never_oversell(client, clock):
    session = await make_session(await make_workshop(capacity=10, max_seats_per_booking=4))
    users = [await make_user() for _ in range(40)]
    sizes = [random.Random(i).randint(1, 4) for i in range(40)]
    answers = await asyncio.gather(*[book(client, u, session["id"], n) for u, n in zip(users, sizes)])
    won = sum(n for a, n in zip(answers, sizes) if a.status_code == 201)
    assert won == await seats_taken_now(session["id"], clock.now()) <= 10
    # what is left is smaller than every refused request
    assert all(n > 10 - won for a, n in zip(answers, sizes) if a.status_code == 409)


async def test_bookings_cancellations_and_waitlist_at_once(client, clock, notifier):
    """Cancellations promote the waitlist while others book: the invariant holds throughout."""
    session = await make_session(capacity=6)
    holders = [await make_user() for _ in range(6)]
    held = [(await book(client, u, session["id"])).json() for u in holders]
    waiters = [await make_user() for _ in range(10)]
    for w in waiters:
        await join(client, w, session["id"], expect=201)
    latecomers = [await make_user() for _ in range(20)]
    calls = [client.post(f"/api/v1/bookings/{b['id']}/cancel", headers=auth(u)) for b, u in zip(held, holders)]
    calls += [book(client, u, session["id"]) for u in latecomers]
    random.Random(7).shuffle(calls)
    await asyncio.gather(*calls)
    assert await seats_taken_now(session["id"], clock.now()) == 6
    # the freed seats went to the waitlist first (FIFO), never to a latecomer
    promoted = await rows("SELECT \"user\" FROM booking WHERE \"session\" = {} AND status = 'confirmed' "
                          "AND waitlist_entry_id IS NOT NULL ORDER BY waitlist_entry_id", session["id"])
    assert [r["user"] for r in promoted] == [w["id"] for w in waiters[:6]]
    latecomer_ids = {u["id"] for u in latecomers}
    assert not [r for r in await rows("SELECT \"user\" FROM booking WHERE status = 'confirmed'")
                if r["user"] in latecomer_ids]
