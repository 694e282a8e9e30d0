"""The one place that builds a runtime: for the server, `alveole worker`, the demo, the CLI
and the tests. `build_runtime` wires the packages together (no I/O); `start` connects the
database and starts the long-lived parts; `stop` undoes it; `started` does both around a block.
"""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from booking.privacy import BookingPersonalData
from booking.stats import BookingStatsFromDatabase
from booking.store import start_store, stop_store
from kernel import db as dbmod
from kernel.clock import Clock, SystemClock
from kernel.events import Notifier
from kernel.ports import Mailer
from kernel.ratelimit import RateLimits
from kernel.runtime import Runtime
from kernel.settings import Settings
from notify.notifier import OutboxNotifier
from notify.privacy import NotifyPersonalData
from workshops.privacy import WorkshopsPersonalData


def build_runtime(settings: Settings | None = None, *, clock: Clock | None = None,
                  notifier: Notifier | None = None, mailer: Mailer | None = None) -> Runtime:
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    return Runtime(
        settings=settings, clock=clock, notifier=notifier or OutboxNotifier(),
        rate_limits=RateLimits(clock, enabled=settings.rate_limits), mailer=mailer,
        booking_stats=BookingStatsFromDatabase(),
        personal_data=(WorkshopsPersonalData(), BookingPersonalData(), NotifyPersonalData()),
    )


async def start(runtime: Runtime, *, booking_store: bool = True) -> Runtime:
    """Connect (and bind every table to) the database; start this process's booking store."""
    runtime.database = await dbmod.connect(runtime.settings.database_url, runtime.settings.db_wait_seconds)
    if booking_store:
        try:
            await start_store(runtime)
        except BaseException:
            await dbmod.disconnect(runtime.database)
            raise
    return runtime


async def stop(runtime: Runtime) -> None:
    await stop_store(runtime)
    if runtime.database is not None:
        await dbmod.disconnect(runtime.database)


@contextlib.asynccontextmanager
async def started(runtime: Runtime, *, booking_store: bool = True) -> AsyncIterator[Runtime]:
    await start(runtime, booking_store=booking_store)
    try:
        yield runtime
    finally:
        await stop(runtime)


async def migrate(settings: Settings, *, quiet: bool = True) -> None:
    """Apply every pending migration to the configured database."""
    database = await dbmod.connect(settings.database_url, statement_timeout=None)
    try:
        await dbmod.migrate(quiet=quiet)
    finally:
        await dbmod.disconnect(database)
