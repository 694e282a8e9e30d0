"""The worker survives any database error of any job and keeps going; a stop request ends it."""
from __future__ import annotations

import asyncio
import sqlite3

import asyncpg

from alveole import bootstrap
from alveole.worker import request_stop, run_forever
from kernel.clock import FrozenClock
from kernel.jobs import Job
from kernel.settings import Settings
from tests.conftest import T0


async def test_database_errors_of_every_kind_never_stop_the_loop():
    runtime = bootstrap.build_runtime(Settings(worker_poll_seconds=0.01), clock=FrozenClock(T0))
    stop = asyncio.Event()
    errors = [asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
              asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
              asyncpg.InterfaceError("connection has been released back to the pool"),
              asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
              ConnectionRefusedError("connect call failed"), asyncio.TimeoutError(),
              sqlite3.OperationalError("database is locked")]
    passes: list[str] = []

    async def flaky(runtime) -> int:
        passes.append("flaky")
        tries = passes.count("flaky")
        if tries <= len(errors):
            raise errors[tries - 1]
        request_stop(runtime, stop)  # the database is back: done
        return 1

    async def steady(runtime) -> int:
        passes.append("steady")
        return 0

    runtime_jobs = [Job("flaky", flaky), Job("steady", steady)]
    import alveole.worker as worker

    original = worker.all_jobs
    worker.all_jobs = lambda: runtime_jobs
    try:
        await asyncio.wait_for(run_forever(runtime, stop), timeout=10)
    finally:
        worker.all_jobs = original
    assert passes.count("flaky") == len(errors) + 1  # every failure was followed by another pass
    assert passes.count("steady") == len(errors) + 1  # and the other job ran on every pass
    assert runtime.stopping
