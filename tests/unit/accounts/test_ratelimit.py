"""The in-process sliding-window rate limiter."""
from __future__ import annotations

import datetime as dt

import pytest

from kernel.clock import FrozenClock
from kernel.ratelimit import RateLimiter, RecentKeys

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def clock():
    return FrozenClock(T0)


def test_allows_the_limit_then_refuses_until_the_oldest_hit_ages_out(clock):
    limiter = RateLimiter(3, dt.timedelta(minutes=10), clock)
    for minute in (0, 2, 4):
        clock.set(T0 + dt.timedelta(minutes=minute))
        assert limiter.retry_after("k") is None
        limiter.hit("k")
    assert limiter.retry_after("k") == 6 * 60  # the hit at minute 0 leaves at minute 10
    clock.set(T0 + dt.timedelta(minutes=9, seconds=59, microseconds=500_000))
    assert limiter.retry_after("k") == 1  # rounded up, never 0
    clock.set(T0 + dt.timedelta(minutes=10))
    assert limiter.retry_after("k") is None
    limiter.hit("k")
    assert limiter.retry_after("k") == 2 * 60  # sliding: now the minute-2 hit is the oldest


def test_keys_are_independent(clock):
    limiter = RateLimiter(1, dt.timedelta(seconds=30), clock)
    limiter.hit("a")
    assert limiter.retry_after("a") == 30
    assert limiter.retry_after("b") is None


def test_reset_forgets_a_key(clock):
    limiter = RateLimiter(1, dt.timedelta(seconds=30), clock)
    limiter.hit("a")
    limiter.reset("a")
    assert limiter.retry_after("a") is None


def test_memory_stays_bounded(clock):
    limiter = RateLimiter(5, dt.timedelta(seconds=10), clock, max_keys=100)
    for n in range(100):
        limiter.hit(f"old-{n}")
    clock.advance(seconds=11)
    limiter.hit("new")  # the aged-out keys are pruned to make room
    assert len(limiter._hits) == 1
    for n in range(150):
        limiter.hit(f"fresh-{n}")
    assert len(limiter._hits) <= 100


def test_refuses_nonsense_configuration(clock):
    with pytest.raises(ValueError):
        RateLimiter(0, dt.timedelta(seconds=1), clock)
    with pytest.raises(ValueError):
        RateLimiter(1, dt.timedelta(0), clock)


class TestRecentKeys:
    def test_a_key_is_known_for_the_window_after_its_last_note(self, clock):
        recent = RecentKeys(dt.timedelta(days=30), clock)
        assert "k" not in recent
        recent.note("k")
        clock.advance(days=20)
        assert "k" in recent
        recent.note("k")  # noted again: known 30 days from now
        clock.advance(days=29)
        assert "k" in recent
        clock.advance(days=1)
        assert "k" not in recent and len(recent) == 0

    def test_forget(self, clock):
        recent = RecentKeys(dt.timedelta(minutes=1), clock)
        recent.note("k")
        recent.forget("k")
        assert "k" not in recent

    def test_memory_stays_bounded_forgetting_the_least_recent(self, clock):
        recent = RecentKeys(dt.timedelta(days=1), clock, max_keys=3)
        for key in ("a", "b", "c"):
            recent.note(key)
            clock.advance(seconds=1)
        recent.note("a")  # a is now the most recent
        recent.note("d")
        assert len(recent) == 3
        assert "b" not in recent and all(k in recent for k in ("a", "c", "d"))

    def test_refuses_nonsense_configuration(self, clock):
        with pytest.raises(ValueError):
            RecentKeys(dt.timedelta(0), clock)
