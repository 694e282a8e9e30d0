"""The one source of "now": real in production, settable in tests."""
from __future__ import annotations

import datetime as dt
from typing import Protocol

UTC = dt.timezone.utc


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, benchmarks of deadlines)."""

    def __init__(self, at: dt.datetime | None = None) -> None:
        self._now = (at or dt.datetime.now(UTC)).astimezone(UTC)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, at: dt.datetime) -> None:
        self._now = at.astimezone(UTC)

    def advance(self, **delta: float) -> dt.datetime:
        self._now += dt.timedelta(**delta)
        return self._now
