"""Background jobs of this package, run by `alveole.worker` (scans first, then delivery, so one
`run_once` both schedules and sends what is due)."""
from __future__ import annotations

from kernel.runtime import Runtime
from kernel.jobs import Job
from notify.outbox import deliver_due, insert_rows
from notify.reminders import due_feedback_requests, due_reminders, due_rosters


async def schedule_reminders(runtime: Runtime) -> int:
    now = runtime.clock.now()
    return await insert_rows(await due_reminders(now, runtime.settings.reminder_offsets), now)


async def schedule_host_rosters(runtime: Runtime) -> int:
    now = runtime.clock.now()
    return await insert_rows(await due_rosters(now, runtime.settings.reminder_offsets), now)


async def schedule_feedback_requests(runtime: Runtime) -> int:
    now = runtime.clock.now()
    return await insert_rows(await due_feedback_requests(now, runtime.settings.feedback_delay), now)


async def deliver_outbox(runtime: Runtime) -> int:
    return await deliver_due(runtime)


JOBS: list[Job] = [
    Job("notify.reminders", schedule_reminders),
    Job("notify.host_rosters", schedule_host_rosters),
    Job("notify.feedback_requests", schedule_feedback_requests),
    Job("notify.outbox", deliver_outbox),
]
