"""One process of the two-process race: books a session for the given users through its own
booking store, after the parent says go. Prints one JSON line of outcomes, then exits.

    python -m tests.integration.booking.race_process DATABASE_URL SESSION_ID FIRST_USER LAST_USER
"""
from __future__ import annotations

import asyncio
import json
import random
import sys
from functools import partial

from alveole import db as dbmod
from alveole.clock import FrozenClock
from alveole.runtime import Runtime
from alveole.settings import Settings
from booking import ops
from booking.errors import SessionFull
from booking.rules import BookingPolicy
from booking.store import STORE_PART, SqliteBookingStore, start_store, stop_store, store_of
from tests.conftest import T0
from tests.integration.booking.support import OutboxCountingNotifier


async def main(url: str, session_id: int, first_user: int, last_user: int) -> None:
    runtime = Runtime(settings=Settings(database_url=url), clock=FrozenClock(T0),
                      notifier=OutboxCountingNotifier())
    runtime.database = await dbmod.connect(url)
    if runtime.db.is_sqlite:
        # small batches: the two processes' transactions interleave instead of one taking all
        store = SqliteBookingStore(runtime.db.sqlite_path, runtime.notifier, max_batch=2)
        store.start()
        runtime.parts[STORE_PART] = store
    else:
        await start_store(runtime)
    try:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        async def one(user_id: int) -> str:
            await asyncio.sleep(random.uniform(0, 0.3))  # spread out: both processes overlap
            try:
                await store_of(runtime).run(partial(
                    ops.book_seats, session_id=session_id, user_id=user_id, seats=1, now=runtime.clock.now(),
                    policy=BookingPolicy()))
            except SessionFull:
                return "full"
            return "booked"

        outcomes = await asyncio.gather(*[one(u) for u in range(first_user, last_user + 1)])
        print(json.dumps({"booked": outcomes.count("booked"), "full": outcomes.count("full")}), flush=True)
    finally:
        await stop_store(runtime)
        await dbmod.disconnect(runtime.database)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], *map(int, sys.argv[2:5])))
