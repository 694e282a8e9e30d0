"""The attendance report's date range: defaults, leap days, zones and bounds (no I/O)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from booking.reports import report_range
from kernel.errors import ValidationFailed

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.timezone.utc


def test_by_default_a_year_either_side_of_today_and_29_february_becomes_the_28th():
    span = report_range(None, None, dt.date(2028, 2, 29), PARIS)
    assert (span.first, span.last) == (dt.date(2027, 2, 28), dt.date(2029, 2, 28))


def test_both_days_are_included_from_midnight_in_the_zone():
    span = report_range("2026-07-01", "2026-07-31", dt.date(2026, 12, 1), PARIS)
    assert span.starts_from == dt.datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # summer time: UTC+2
    assert span.starts_before == dt.datetime(2026, 7, 31, 22, 0, tzinfo=UTC)


def test_one_bound_given_the_other_defaults():
    span = report_range("2026-01-01", None, dt.date(2026, 12, 1), UTC)
    assert (span.first, span.last) == (dt.date(2026, 1, 1), dt.date(2027, 12, 1))
    span = report_range(None, "2026-06-30", dt.date(2026, 12, 1), UTC)
    assert (span.first, span.last) == (dt.date(2025, 12, 1), dt.date(2026, 6, 30))


def test_a_lone_bound_beyond_the_default_other_one_gets_a_year():
    span = report_range("2030-03-01", None, dt.date(2026, 12, 1), UTC)
    assert (span.first, span.last) == (dt.date(2030, 3, 1), dt.date(2031, 3, 1))
    span = report_range(None, "2020-03-01", dt.date(2026, 12, 1), UTC)
    assert (span.first, span.last) == (dt.date(2019, 3, 1), dt.date(2020, 3, 1))


@pytest.mark.parametrize("start, end, field", [
    ("2026-12-02", "2026-12-01", "to"),
    ("2016-02-29", "2026-03-01", "to"),  # ten years from 29 Feb end on 28 Feb
    (" 2026-01-01", "2026-13-01", "to"),
    ("2026-1-1", None, "from"),
])
def test_refused(start, end, field):
    with pytest.raises(ValidationFailed) as caught:
        report_range(start, end, dt.date(2026, 12, 1), UTC)
    assert [e["field"] for e in caught.value.extra["errors"]] == [field]


def test_ten_years_to_the_day_are_allowed():
    assert report_range("2016-02-29", "2026-02-28", dt.date(2026, 12, 1), UTC).last == dt.date(2026, 2, 28)
