"""The background worker: runs every package's due jobs, in-process or as `alveole worker`.
Any error of any job (a database outage above all) is logged and the loop goes on."""
from __future__ import annotations

import asyncio
import logging

from booking.jobs import JOBS as booking_jobs
from kernel.jobs import Job
from kernel.runtime import Runtime
from notify.jobs import JOBS as notify_jobs

log = logging.getLogger("alveole.worker")


def all_jobs() -> list[Job]:
    # booking first: expiring holds/offers produces emails the notify jobs then deliver
    return [*booking_jobs, *notify_jobs]


async def run_once(runtime: Runtime, jobs: list[Job] | None = None) -> dict[str, int]:
    """Run every job once; a failing job is logged and does not stop the others."""
    done: dict[str, int] = {}
    for job in jobs if jobs is not None else all_jobs():
        try:
            done[job.name] = await job.run(runtime)
        except Exception:  # noqa: BLE001 - the loop must survive any one job
            log.exception("job %s failed", job.name)
            done[job.name] = 0
    return done


def request_stop(runtime: Runtime, stop: asyncio.Event) -> None:
    """Ask the worker to stop: the job running finishes the message it is sending, takes no
    more (its other claimed rows are handed back), and `run_forever` returns."""
    runtime.stopping = True
    stop.set()


async def run_forever(runtime: Runtime, stop: asyncio.Event) -> None:
    jobs = all_jobs()
    log.info("worker started: %s", ", ".join(j.name for j in jobs))
    while not stop.is_set() and not runtime.stopping:
        done = await run_once(runtime, jobs)
        if any(done.values()):
            log.info("worker: %s", ", ".join(f"{k}={v}" for k, v in done.items() if v))
            continue  # more may be due right away
        try:
            await asyncio.wait_for(stop.wait(), timeout=runtime.settings.worker_poll_seconds)
        except asyncio.TimeoutError:
            pass
