"""Bounded walks through a dateutil RRULE: a hard limit on the candidate instants examined and a
last day after which no candidate is looked at.

dateutil's own iteration cannot be interrupted between two results: a rule that matches nothing
(`FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30`) runs to the year 9999 before it says so, for seconds,
on the caller's thread. `walk` runs dateutil's very algorithm (its `rrule._iter`, given counting
period helpers), so the results are dateutil's, and stops as soon as either bound is reached.

Pure: no I/O; `rules.expand_rrule` turns the two stops into validation errors.
"""
from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterator
from dataclasses import dataclass

from dateutil import rrule as _dateutil


class BudgetExhausted(Exception):
    """More candidate instants were examined than the walk's budget allows."""


class LastDayPassed(Exception):
    """The next period to examine starts after the walk's last day: nothing later is looked at."""


@dataclass
class Walk:
    """The bounds of one walk, and what it examined (for callers and tests to read)."""

    last_day: dt.date  # in the rule's own (wall-clock) calendar
    budget: int
    examined: int = 0

    def spend(self, candidates: int) -> None:
        self.examined += candidates
        if self.examined > self.budget:
            raise BudgetExhausted(f"more than {self.budget} candidates examined")


class _CountingInfo(_dateutil._iterinfo):
    """dateutil's period helper: each period's days (and, below daily frequencies, its times)
    are counted against the walk's budget, and a period starting after the last day stops it.
    Every pass of dateutil's loop asks for exactly one day set, so no pass goes uncounted."""

    def _days(self, found: tuple[list, int, int]) -> tuple[list, int, int]:
        _, start, end = found
        walk: Walk = self.rrule._walk
        walk.spend(max(1, end - start))
        if end > start and dt.date.fromordinal(self.yearordinal + start) > walk.last_day:
            raise LastDayPassed()
        return found

    def ydayset(self, year: int, month: int, day: int) -> tuple[list, int, int]:
        return self._days(super().ydayset(year, month, day))

    def mdayset(self, year: int, month: int, day: int) -> tuple[list, int, int]:
        return self._days(super().mdayset(year, month, day))

    def wdayset(self, year: int, month: int, day: int) -> tuple[list, int, int]:
        return self._days(super().wdayset(year, month, day))

    def ddayset(self, year: int, month: int, day: int) -> tuple[list, int, int]:
        return self._days(super().ddayset(year, month, day))

    def htimeset(self, hour: int, minute: int, second: int) -> list:
        times = super().htimeset(hour, minute, second)
        self.rrule._walk.spend(max(1, len(times)))
        return times


def _check_dateutil() -> None:
    """Fail at import, not silently, if dateutil's internals are no longer what this relies on."""
    names = _dateutil.rrule._iter.__code__.co_names
    helpers = ("ydayset", "mdayset", "wdayset", "ddayset", "htimeset")
    if "_iterinfo" not in names or not all(hasattr(_dateutil._iterinfo, h) for h in helpers):
        raise ImportError("dateutil.rrule changed: workshops.recurrence cannot bound RRULE walks")


_check_dateutil()

# dateutil's loop, reading `_iterinfo` from a namespace where it is the counting helper
_bounded_iter = types.FunctionType(
    _dateutil.rrule._iter.__code__, {**vars(_dateutil), "_iterinfo": _CountingInfo}, "_iter",
    _dateutil.rrule._iter.__defaults__, _dateutil.rrule._iter.__closure__,
)


class _BoundedRule(_dateutil.rrule):
    _iter = _bounded_iter
    _walk: Walk


def walk(recurrence: _dateutil.rrule, bounds: Walk) -> Iterator[dt.datetime]:
    """The occurrences of `recurrence`, in order, as dateutil gives them; raises BudgetExhausted
    or LastDayPassed when a bound is reached (the occurrences before it were yielded)."""
    # the constructor arguments, as dateutil's own rrule.replace() rebuilds a rule
    arguments = {"interval": recurrence._interval, "count": recurrence._count,
                 "dtstart": recurrence._dtstart, "freq": recurrence._freq,
                 "until": recurrence._until, "wkst": recurrence._wkst, "cache": False}
    arguments.update(recurrence._original_rule)
    bounded = _BoundedRule(**arguments)
    bounded._walk = bounds
    return iter(bounded)
