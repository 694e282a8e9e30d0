"""A small sliding-window rate limiter keyed by string ("login-ip:203.0.113.7"), and a bounded
memory of recently seen keys (e.g. the addresses an account last logged in from).

It keeps its counts in memory, **per process**: with several app workers each one counts on
its own, so the effective limit is the configured one times the number of processes. That is
enough to blunt password guessing and sign-up floods; a shared store would be the next step.
Time comes from the injected Clock, so tests move a FrozenClock instead of sleeping.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import deque

from kernel.clock import Clock


class RateLimiter:
    """At most `limit` hits per key within any `window`."""

    def __init__(self, limit: int, window: dt.timedelta, clock: Clock, *,
                 max_keys: int = 100_000) -> None:
        if limit < 1 or window <= dt.timedelta(0):
            raise ValueError("a rate limit needs a positive limit and window")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[dt.datetime]] = {}

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may hit again, or None when it may hit now."""
        hits = self._recent(key)
        if hits is None or len(hits) < self.limit:
            return None
        wait = (hits[0] + self.window - self.clock.now()).total_seconds()
        return max(1, math.ceil(wait))

    def hit(self, key: str) -> None:
        """Count one hit for `key` (whether or not it was over the limit is the caller's call)."""
        hits = self._recent(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._prune()
            hits = self._hits[key] = deque()
        hits.append(self.clock.now())

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def _recent(self, key: str) -> deque[dt.datetime] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        horizon = self.clock.now() - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def _prune(self) -> None:
        # Memory stays bounded whatever keys clients make up: drop what has aged out, and if
        # that is not enough, forget everything (erring towards letting people in).
        horizon = self.clock.now() - self.window
        for key in [k for k, hits in self._hits.items() if hits[-1] <= horizon]:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:
            self._hits.clear()


class RecentKeys:
    """Keys noted within the last `window` (since their latest `note`), at most `max_keys` of
    them: when full, the least recently noted are forgotten first."""

    def __init__(self, window: dt.timedelta, clock: Clock, *, max_keys: int = 100_000) -> None:
        if window <= dt.timedelta(0) or max_keys < 1:
            raise ValueError("recent keys need a positive window and size")
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._noted: dict[str, dt.datetime] = {}  # oldest note first (re-noting moves to the end)

    def note(self, key: str) -> None:
        self._noted.pop(key, None)
        while len(self._noted) >= self.max_keys:
            del self._noted[next(iter(self._noted))]
        self._noted[key] = self.clock.now()

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str) or (noted := self._noted.get(key)) is None:
            return False
        if noted <= self.clock.now() - self.window:
            del self._noted[key]
            return False
        return True

    def forget(self, key: str) -> None:
        self._noted.pop(key, None)

    def __len__(self) -> int:
        return len(self._noted)


class RateLimits:
    """This process's named limiters (and recent-key memories), made on first use (one set per
    runtime; off → `enabled` False)."""

    def __init__(self, clock: Clock, *, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self._limiters: dict[str, RateLimiter] = {}
        self._recent: dict[str, RecentKeys] = {}

    def limiter(self, name: str, limit: int, window: dt.timedelta) -> RateLimiter:
        limiter = self._limiters.get(name)
        if limiter is None:
            limiter = self._limiters[name] = RateLimiter(limit, window, self.clock)
        return limiter

    def recent(self, name: str, window: dt.timedelta) -> RecentKeys:
        recent = self._recent.get(name)
        if recent is None:
            recent = self._recent[name] = RecentKeys(window, self.clock)
        return recent
