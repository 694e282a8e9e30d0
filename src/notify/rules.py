"""Pure scheduling rules of notifications: when reminders, rosters and feedback requests are due."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# A feedback request still goes out if the worker was down, up to this long after it was due.
FEEDBACK_CATCH_UP = dt.timedelta(days=7)


@dataclass(frozen=True)
class ReminderWindow:
    """Sessions starting in (starts_after, starts_until] get the reminder of `offset` now."""

    offset: dt.timedelta
    starts_after: dt.datetime
    starts_until: dt.datetime

    @property
    def offset_seconds(self) -> int:
        return int(self.offset.total_seconds())


def reminder_windows(offsets: Iterable[dt.timedelta], now: dt.datetime) -> list[ReminderWindow]:
    """One window per offset, largest first. A session is in the window of the smallest offset
    whose moment (starts_at − offset) has come: when the worker catches up late, or a session
    is moved closer, only the latest reminder due is sent, not every stale one before it."""
    ordered = sorted({o for o in offsets if o > dt.timedelta(0)}, reverse=True)
    windows = []
    for index, offset in enumerate(ordered):
        smaller = ordered[index + 1] if index + 1 < len(ordered) else dt.timedelta(0)
        windows.append(ReminderWindow(offset, now + smaller, now + offset))
    return windows


def reminder_wanted(starts_at: dt.datetime, booked_at: dt.datetime, offset: dt.timedelta) -> bool:
    """No reminder whose moment had already passed when the booking was made."""
    return starts_at - offset > booked_at


def roster_window(offsets: Iterable[dt.timedelta], now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The host gets the roster once, from the last (smallest) reminder offset before start
    (2 h by default): late enough to carry the bookings, early enough to print it. Sessions
    nobody booked get none until someone does (`DUE_ROSTERS`): a roster saying "no one has
    booked yet" helps nobody (issue 19.8)."""
    positive = [o for o in offsets if o > dt.timedelta(0)]
    if not positive:
        return None
    return now, now + min(positive)


def feedback_window(now: dt.datetime, delay: dt.timedelta) -> tuple[dt.datetime, dt.datetime]:
    """Sessions that ended in [now − delay − catch-up, now − delay] get feedback requests."""
    latest_end = now - delay
    return latest_end - FEEDBACK_CATCH_UP, latest_end
