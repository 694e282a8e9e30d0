"""RRULE expansion is bounded and strict (outside findings 1, 2 and 15): a budget of candidate
instants, a 10-year horizon on every occurrence, and no silent cuts or RFC 5545 looseness."""
from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from kernel.errors import ValidationFailed
from workshops import recurrence, rules

UTC = dt.timezone.utc
PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
START = dt.datetime(2027, 1, 10, 10, tzinfo=PARIS).astimezone(UTC)
END = START + dt.timedelta(hours=2)

# rules that yield few or no occurrences: dateutil alone walks them to the year 9999
PATHOLOGICAL = [
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=1",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31;COUNT=2",
    "FREQ=HOURLY;BYSETPOS=2;COUNT=3",
    "FREQ=DAILY;BYSETPOS=2;COUNT=5",
    "FREQ=MONTHLY;BYSETPOS=32;COUNT=2",
    "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20360101",
    "FREQ=HOURLY;INTERVAL=7;BYHOUR=3;BYSETPOS=2;COUNT=2",
]


def expand(rule: str, **kwargs):
    return rules.expand_rrule(rule, START, END, "Europe/Paris", now=NOW, **kwargs)


def refusal(rule: str, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as exc:
        expand(rule, **kwargs)
    assert [e["field"] for e in exc.value.extra["errors"]] == ["rrule"]
    return exc.value.detail


class TestCandidateBudget:
    @pytest.mark.parametrize("rule", PATHOLOGICAL)
    def test_a_rule_with_few_or_no_occurrences_examines_a_bounded_number_of_candidates(self, rule):
        walk = recurrence.Walk(last_day=dt.date.max, budget=rules.RRULE_MAX_CANDIDATES)
        started = time.perf_counter()
        refusal(rule, walk=walk)
        elapsed_ms = (time.perf_counter() - started) * 1000
        print(f"{rule}: {walk.examined} candidates, {elapsed_ms:.1f} ms")  # a benchmark, not the assertion
        assert walk.examined <= rules.RRULE_MAX_CANDIDATES + 1

    def test_the_budget_stops_the_walk_and_says_why(self):
        walk = recurrence.Walk(last_day=dt.date.max, budget=500)
        detail = refusal("FREQ=HOURLY;BYSETPOS=2;COUNT=3", walk=walk)
        assert "too complex" in detail and walk.examined == 501

    def test_nothing_after_the_horizon_is_examined(self):
        walk = recurrence.Walk(last_day=dt.date.max, budget=10**9)
        assert "10 years" in refusal("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=1", walk=walk)
        assert walk.examined <= 11 * 366  # daily periods up to the horizon, not to the year 9999

    @pytest.mark.parametrize("rule", [
        "FREQ=WEEKLY;COUNT=52", "FREQ=DAILY;BYDAY=MO,WE;COUNT=40", "FREQ=MONTHLY;BYDAY=1SA;COUNT=24",
        "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=2",
        "FREQ=HOURLY;INTERVAL=5;BYHOUR=1,3;COUNT=10", "FREQ=HOURLY;BYHOUR=10;BYDAY=SA;COUNT=52",
        "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270630", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=6",
        "FREQ=YEARLY;COUNT=10", "FREQ=DAILY;BYHOUR=10,14;BYMINUTE=0,30;COUNT=52",
    ])
    def test_ordinary_rules_give_exactly_what_dateutil_gives(self, rule):
        walk = recurrence.Walk(last_day=dt.date.max, budget=rules.RRULE_MAX_CANDIDATES)
        got = expand(rule, walk=walk)
        local_start = START.astimezone(PARIS).replace(tzinfo=None)
        expected = list(rrulestr(rule, dtstart=local_start))
        assert [s.astimezone(PARIS).replace(tzinfo=None) for s, _ in got] == expected
        assert walk.examined <= rules.RRULE_MAX_CANDIDATES


class TestHorizon:
    def test_every_occurrence_obeys_the_horizon_not_only_the_first(self):
        detail = refusal("FREQ=YEARLY;INTERVAL=400;COUNT=20")
        assert "10 years" in detail

    def test_a_late_occurrence_is_named(self):
        # 10 years after 1 December 2026: the eleventh yearly session (January 2037) is too late
        assert len(expand("FREQ=YEARLY;COUNT=10")) == 10
        assert "10 years" in refusal("FREQ=YEARLY;COUNT=11")

    def test_until_beyond_the_horizon_is_refused(self):
        assert "UNTIL" in refusal("FREQ=YEARLY;UNTIL=20400101")

    def test_a_rule_whose_sessions_end_early_needs_no_walk_to_the_horizon(self):
        walk = recurrence.Walk(last_day=dt.date.max, budget=rules.RRULE_MAX_CANDIDATES)
        got = expand("FREQ=WEEKLY;BYMONTH=2;UNTIL=20270401", walk=walk)
        assert [s.astimezone(PARIS).day for s, _ in got] == [7, 14, 21, 28]
        assert walk.examined < 100  # stopped at UNTIL's day, not at the horizon


class TestStrictness:
    def test_interval_zero_is_refused(self):
        assert "INTERVAL" in refusal("FREQ=WEEKLY;INTERVAL=0;COUNT=52")

    def test_count_with_until_is_refused(self):
        assert "not both" in refusal("FREQ=WEEKLY;COUNT=4;UNTIL=20270301")

    @pytest.mark.parametrize("rule", ["FREQ=WEEKLY;COUNT=53", "FREQ=WEEKLY", "FREQ=DAILY;UNTIL=20270401"])
    def test_more_than_the_cap_names_the_cap(self, rule):
        assert str(rules.MAX_OCCURRENCES) in refusal(rule)

    @pytest.mark.parametrize("rule,word", [
        ("FREQ=WEEKLY;COUNT=3;COUNT=60", "twice"),
        ("FREQ=MINUTELY;COUNT=3", "hourly"),
        ("FREQ=SECONDLY;COUNT=3", "hourly"),
        ("FREQ=WEEKLY;BYEASTER=0;COUNT=2", "BYEASTER"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT"),
        ("FREQ=WEEKLY;INTERVAL=1001;COUNT=2", "INTERVAL"),
        ("COUNT=2", "FREQ"),
        ("FREQ=WEEKLY;COUNT", "NAME=VALUE"),
        ("FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=0,10,20,30,40;COUNT=2", "times of day"),
    ])
    def test_looseness_dateutil_allows_is_refused(self, rule, word):
        assert word in refusal(rule)

    def test_names_and_values_in_any_case(self):
        assert len(expand("rrule:freq=weekly;count=2;byday=su")) == 2
