"""Per-user quotas on what makes the service write to other people (bookings and waitlist
joins, workshops created and submitted, sessions created, session changes), counted in the
database so they hold across processes.

Each counted action is a `quota_event` row written in the same transaction as the action; the
check is one seek in the (user_id, action, at) index per window: "is there an N-th most recent
event inside the window?" (`ORDER BY at DESC LIMIT 1 OFFSET N-1`), so its cost does not grow
with the user's history. On PostgreSQL a transaction-scoped advisory lock per user serialises
a user's own concurrent actions (READ COMMITTED alone would let two of them both see room);
on SQLite the write lock already does. Past a bound → 429 `rate-limited` with `Retry-After`,
the seconds until the window frees enough room. The numbers and why: docs/http.md.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from accounts.repository import QUOTA_LOCK, QUOTA_NTH_RECENT, QUOTA_PURGE, QUOTA_RECORD
from kernel.errors import RateLimited
from kernel.sql import Tx, as_datetime

HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)


@dataclass(frozen=True)
class Quota:
    limit: int
    window: dt.timedelta


BOOKING = "booking"  # a booking or a waitlist join (each may email the participant)
WORKSHOP_CREATED = "workshop_created"
WORKSHOP_SUBMITTED = "workshop_submitted"  # emails the community's organizers
SESSION_CREATED = "session_created"  # one per session (an RRULE counts each occurrence)
SESSION_CHANGED = "session_changed"  # a change that tells the participants

QUOTAS: dict[str, tuple[Quota, ...]] = {
    BOOKING: (Quota(60, HOUR), Quota(200, DAY)),
    WORKSHOP_CREATED: (Quota(20, DAY),),
    WORKSHOP_SUBMITTED: (Quota(20, DAY),),
    SESSION_CREATED: (Quota(200, DAY),),
    SESSION_CHANGED: (Quota(60, HOUR),),
}
KEPT_FOR = max(q.window for quotas in QUOTAS.values() for q in quotas)

_WHAT = {
    BOOKING: "bookings and waitlist joins", WORKSHOP_CREATED: "workshops created",
    WORKSHOP_SUBMITTED: "workshops submitted", SESSION_CREATED: "sessions created",
    SESSION_CHANGED: "session changes",
}


def _window_name(window: dt.timedelta) -> str:
    return "hour" if window == HOUR else "day" if window == DAY else f"{int(window.total_seconds())} s"


def _refused(action: str, quota: Quota, retry_after: float) -> RateLimited:
    wait = max(1, math.ceil(retry_after))
    return RateLimited(f"At most {quota.limit} {_WHAT[action]} per {_window_name(quota.window)}; "
                       f"try again in {wait} seconds.", retry_after=wait)


async def spend(tx: Tx, *, user_id: int, action: str, now: dt.datetime, enabled: bool = True,
                count: int = 1) -> None:
    """Count `count` actions of `user_id` now, or raise `RateLimited` (nothing counted) when
    that would pass one of the action's quotas. Call it in the action's own transaction, after
    the action's other checks: an action refused for another reason counts for nothing."""
    if not enabled or count < 1:
        return
    if tx.postgres:
        await tx.one(QUOTA_LOCK, user_id)
    for quota in QUOTAS[action]:
        if count > quota.limit:
            raise _refused(action, quota, quota.window.total_seconds())
        # the (limit - count + 1)-th most recent event inside the window: while it exists,
        # `count` more would pass the limit; room comes back when it leaves the window
        row = await tx.one(QUOTA_NTH_RECENT, user_id, action, now - quota.window, quota.limit - count)
        if row is not None:
            oldest = as_datetime(row["at"])
            raise _refused(action, quota, (oldest + quota.window - now).total_seconds())
    for _ in range(count):
        await tx.execute(QUOTA_RECORD, user_id, action, now)


async def purge(tx: Tx, *, now: dt.datetime) -> int:
    """Forget events older than the longest window (a worker job)."""
    return await tx.execute(QUOTA_PURGE, now - KEPT_FOR)
