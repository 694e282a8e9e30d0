"""One process of the two-process race: books a session for the given users through its own
booking store, after the parent says go. Prints one JSON line of outcomes, then exits.

    python -m tests.integration.booking.race_process DATABASE_URL SESSION_ID FIRST_USER LAST_USER
"""
from __future__ import annotations

import asyncio
import json
import random
import sys

from alveole import bootstrap
from kernel.clock import FrozenClock
from kernel.settings import Settings
from booking.errors import SessionFull
from booking.rules import BookingPolicy
from booking.store import SqliteBookingStore
from tests.conftest import T0
from tests.integration.booking.support import OutboxCountingNotifier, book_in_store


async def main(url: str, session_id: int, first_user: int, last_user: int) -> None:
    runtime = bootstrap.build_runtime(Settings(database_url=url, db_wait_seconds=30), clock=FrozenClock(T0),
                                      notifier=OutboxCountingNotifier())
    sqlite = url.startswith("sqlite")
    await bootstrap.start(runtime, booking_store=not sqlite)
    if sqlite:
        # small batches: the two processes' transactions interleave instead of one taking all
        # a generous lock wait: two processes on two busy cores, a 503 would fail the race for nothing
        store = SqliteBookingStore(runtime.db.sqlite_path, runtime.notifier, max_batch=2, lock_wait=30)
        store.start()
        runtime.booking_store = store
    try:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        async def one(user_id: int) -> str:
            await asyncio.sleep(random.uniform(0, 0.3))  # spread out: both processes overlap
            try:
                await book_in_store(runtime, session_id, user_id, policy=BookingPolicy())
            except SessionFull:
                return "full"
            return "booked"

        outcomes = await asyncio.gather(*[one(u) for u in range(first_user, last_user + 1)])
        print(json.dumps({"booked": outcomes.count("booked"), "full": outcomes.count("full")}), flush=True)
    finally:
        await bootstrap.stop(runtime)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], *map(int, sys.argv[2:5])))
