"""One process of the paid two-process race: books a `stripe` session through the service
(hold, then the fake Stripe's Checkout Session) for the given users, after the parent says go.
Prints one JSON line of outcomes, then exits.

    python -m tests.integration.booking.paid_race_process DATABASE_URL STRIPE_BASE SESSION_ID FIRST_USER LAST_USER
"""
from __future__ import annotations

import asyncio
import json
import random
import sys

from accounts.auth import CurrentUser
from alveole import bootstrap
from booking import service
from booking.errors import AlreadyBooked, PaymentProviderUnavailable, SessionFull
from booking.store import SqliteBookingStore
from kernel.clock import FrozenClock
from kernel.settings import Settings
from tests.conftest import T0


async def main(url: str, stripe_base: str, session_id: int, first_user: int, last_user: int) -> None:
    settings = Settings(database_url=url, stripe_api_key="sk_test_race", stripe_webhook_secret="whsec_race",
                        stripe_api_base=stripe_base, stripe_timeout=10, db_wait_seconds=30)
    runtime = bootstrap.build_runtime(settings, clock=FrozenClock(T0))
    sqlite = url.startswith("sqlite")
    await bootstrap.start(runtime, booking_store=not sqlite)
    if sqlite:  # small batches: the two processes' transactions interleave
        # a generous lock wait: two processes on two busy cores, a 503 would fail the race for nothing
        store = SqliteBookingStore(runtime.db.sqlite_path, runtime.notifier, max_batch=2, lock_wait=30)
        store.start()
        runtime.booking_store = store
    try:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        async def one(user_id: int) -> str:
            await asyncio.sleep(random.uniform(0, 0.2))  # spread out: both processes overlap
            user = CurrentUser(id=user_id, email=f"u{user_id}@example.org", display_name="Racer", locale="en",
                               timezone="Europe/Paris", is_admin=False)
            try:
                booking, _ = await service.book(runtime, user, session_id, 1)
            except SessionFull:
                return "full"
            except (AlreadyBooked, PaymentProviderUnavailable) as exc:
                return type(exc).__name__
            return "held" if booking.checkout_url else "held-without-checkout"

        outcomes = await asyncio.gather(*[one(u) for u in range(first_user, last_user + 1)])
        print(json.dumps({name: outcomes.count(name) for name in set(outcomes)}), flush=True)
    finally:
        await bootstrap.stop(runtime)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])))
