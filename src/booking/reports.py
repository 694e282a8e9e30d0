"""The organizers' attendance report: per session, per workshop, per host and for the whole
community over a date range, as JSON or CSV.

Every figure comes from `booking.repository.ATTENDANCE_REPORT`, one statement aggregating
(GROUP BY) per session, workshop, host and for the community; here sums only become rates
(never an average of rates).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from accounts.auth import CurrentUser, is_organizer_of
from accounts.service import find_community_by_slug
from booking import repository
from booking.report_schemas import (
    AttendanceFigures, AttendanceReport, AttendanceRow, HostAttendance, WorkshopAttendance,
)
from kernel.errors import Forbidden, NotFound, ValidationFailed
from kernel.runtime import Runtime
from kernel.sql import as_datetime

UTC = dt.timezone.utc
MAX_YEARS = 10  # the longest range one report covers (it bounds the CSV too)
MIN_YEAR, MAX_YEAR = 1900, 9000  # dates beyond are typing mistakes, and far from any overflow
SEPARATORS = (",", ";")
FORMATS = ("json", "csv")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RATE_DIGITS, _RATING_DIGITS = 4, 2

DEFINITIONS = f"""\
Organizers of the community and admins. `from` and `to` are dates (`2026-01-31`), both days
included, read in the community's time zone; by default from one year before today to one year
after; at most {MAX_YEARS} years. A session belongs to the range when it starts in it; sessions
of workshops never published are left out.

One row per session, in start order:
- `booked_seats`: seats of confirmed bookings (cancelled and expired ones are not booked, nor
  payment holds);
- `attended_seats`, `no_show_seats`, `unknown_seats`: those seats by attendance mark (unknown:
  not marked) — they add up to `booked_seats`;
- `late_cancellations`: bookings cancelled by their participant after the workshop's
  cancellation deadline (counted apart: they are not booked seats);
- `waitlist_length`: waitlist entries still waiting; `waitlist_promoted`: entries that became
  bookings;
- `fill_rate` = booked_seats / capacity; `no_show_rate` = no_show_seats / booked_seats (null
  when nothing is booked); rates are ratios from 0 to 1, rounded to 4 decimals;
- `average_rating`: the mean of the session's feedback ratings (hidden comments' ratings too),
  null without any, `rating_count` of them;
- `new_participants`: people with a confirmed booking whose first confirmed booking in this
  community is in the range; `returning_participants`: those who had one before `from`;
- `relay_bookings` (bookings made for neighbours by relays, not cancelled or released),
  `walk_in_seats`, `standby_seats_served`, `released_no_show_seats`: the door and the desk;
- `cancelled`: a cancelled session is listed but has no rates, and its capacity is left out of
  the totals' (its bookings were cancelled with it).

`workshops`, `hosts` and `total` sum the session rows of each group; their rates are computed
from those sums (over the sessions not cancelled), and their participants are distinct people
(someone booking two sessions counts once), so they are not the sums of the rows'.

CSV: `Accept: text/csv` or `format=csv` answers the session rows (the columns above, in this
order) as UTF-8 with a BOM, as an attachment; `sep=;` for spreadsheets in French locales (their
decimals then use a comma). A text cell starting with `=`, `+`, `-` or `@` gets a leading `'` so
that no spreadsheet runs it as a formula. No row limit beyond the range's."""


# ------------------------------------------------------------------------- the date range

@dataclass(frozen=True)
class ReportRange:
    first: dt.date  # inclusive
    last: dt.date  # inclusive
    starts_from: dt.datetime  # UTC, inclusive: the first day's midnight in the community's zone
    starts_before: dt.datetime  # UTC, exclusive: the midnight after the last day


# the reason a range too long carries (`errors[].reason`), which the dashboard explains
TOO_LONG = "too-long"


def _invalid(field: str, message: str, reason: str | None = None) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors=[
        {"field": field, "message": message, "source": "query", **({"reason": reason} if reason else {})}])


def _years_later(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes the 28th); clamped to the calendar."""
    year = min(max(day.year + years, dt.MINYEAR), dt.MAXYEAR)
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def _day(text: str | None, field: str) -> dt.date | None:
    if text is None:
        return None
    text = text.strip()
    if not _DATE.fullmatch(text):
        raise _invalid(field, "a date such as 2026-12-31")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _invalid(field, "no such date") from None


def report_range(starts_from: str | None, to: str | None, today: dt.date, zone: dt.tzinfo) -> ReportRange:
    """`from`/`to` (dates, both included; by default a year either side of `today`, or a year
    from the bound given when that default would fall on its wrong side) as UTC bounds in
    `zone`. A bad date, `to` before `from` or more than MAX_YEARS is a 400."""
    first, last = _day(starts_from, "from"), _day(to, "to")
    if last is None:
        last = _years_later(today, 1)
        if first is not None and last < first:
            last = _years_later(first, 1)
    if first is None:
        first = _years_later(today, -1)
        if last < first:
            first = _years_later(last, -1)
    if last < first:
        raise _invalid("to", "must not be before from")
    if last > _years_later(first, MAX_YEARS):
        raise _invalid("to", f"at most {MAX_YEARS} years after from", TOO_LONG)
    for field, day in (("from", first), ("to", last)):
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise _invalid(field, f"a year from {MIN_YEAR} to {MAX_YEAR}")

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(UTC)

    return ReportRange(first, last, midnight(first), midnight(last + dt.timedelta(days=1)))


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - a zone since removed from tzdata: report in UTC
        return UTC


# ------------------------------------------------------------------------------ the figures

def _ratio(part: int, whole: int, digits: int = _RATE_DIGITS) -> float | None:
    return round(part / whole, digits) if whole else None


def _figures(row: Any) -> dict[str, Any]:
    """The sums of a workshop's, a host's or the community's row with the rates computed from
    them."""
    return dict(
        sessions=row["sessions"], cancelled_sessions=row["cancelled_sessions"], capacity=row["open_capacity"],
        booked_seats=row["booked_seats"], attended_seats=row["attended_seats"], no_show_seats=row["no_show_seats"],
        unknown_seats=row["unknown_seats"], late_cancellations=row["late_cancellations"],
        waitlist_length=row["waitlist_length"], waitlist_promoted=row["waitlist_promoted"],
        fill_rate=_ratio(row["open_booked_seats"], row["open_capacity"]),
        no_show_rate=_ratio(row["open_no_show_seats"], row["open_booked_seats"]),
        average_rating=_ratio(row["rating_total"], row["rating_count"], _RATING_DIGITS),
        rating_count=row["rating_count"], new_participants=row["new_participants"],
        returning_participants=row["returning_participants"], **_door_figures(row),
    )


def _door_figures(row: Any) -> dict[str, int]:
    return {name: row[name] for name in ("relay_bookings", "walk_in_seats", "standby_seats_served",
                                         "released_no_show_seats")}


_NOTHING = dict.fromkeys((*repository.REPORT_FIGURES, "new_participants", "returning_participants"), 0)
_ZONES: dict[str, dt.tzinfo] = {}


def session_row(row: Any) -> AttendanceRow:
    """A session row of `repository.attendance_report` as the API shows it (a cancelled
    session has no rates: its open_* figures are 0)."""
    zone = _ZONES.get(row["timezone"]) or _ZONES.setdefault(row["timezone"], _zone(row["timezone"]))
    booked = row["open_booked_seats"]
    return AttendanceRow(
        session_id=row["id"], workshop_id=row["workshop_id"], workshop_title=row["workshop_title"],
        starts_at=as_datetime(row["starts_at"]).astimezone(zone), capacity=row["capacity"],
        booked_seats=row["booked_seats"], attended_seats=row["attended_seats"], no_show_seats=row["no_show_seats"],
        late_cancellations=row["late_cancellations"], waitlist_length=row["waitlist_length"],
        fill_rate=_ratio(booked, row["open_capacity"]),
        average_rating=_ratio(row["rating_total"], row["rating_count"], _RATING_DIGITS),
        unknown_seats=row["unknown_seats"], no_show_rate=_ratio(row["open_no_show_seats"], booked),
        waitlist_promoted=row["waitlist_promoted"], new_participants=row["new_participants"],
        returning_participants=row["returning_participants"], cancelled=row["cancelled_sessions"] == 1,
        host_id=row["host_id"], host_name=row["host_name"], rating_count=row["rating_count"],
        **_door_figures(row),
    )


def build_report(slug: str, span: ReportRange, rows: Iterable[Any]) -> AttendanceReport:
    """The report from the statement's rows: sessions (in start order), then the sums."""
    items: list[AttendanceRow] = []
    workshops: list[WorkshopAttendance] = []
    hosts: list[HostAttendance] = []
    total = AttendanceFigures(**_figures(_NOTHING))
    for row in rows:
        scope = row["scope_rank"]
        if scope == 0:
            items.append(session_row(row))
        elif scope == 1:
            workshops.append(WorkshopAttendance(workshop_id=row["workshop_id"], workshop_title=row["workshop_title"],
                                                host_id=row["host_id"], **_figures(row)))
        elif scope == 2:
            hosts.append(HostAttendance(host_id=row["host_id"], display_name=row["host_name"], **_figures(row)))
        else:
            total = AttendanceFigures(**_figures(row))
    workshops.sort(key=lambda w: (w.workshop_title.casefold(), w.workshop_id))
    hosts.sort(key=lambda h: (h.display_name.casefold(), h.host_id))
    return AttendanceReport(community=slug, starts_from=span.first, to=span.last, items=items, total=total,
                            workshops=workshops, hosts=hosts)


# ---------------------------------------------------------------------------------- the use case

async def attendance_report(runtime: Runtime, user: CurrentUser, slug: str, starts_from: str | None = None,
                            to: str | None = None) -> AttendanceReport:
    """The community's report over [from, to]: its organizers and admins only (else 403); an
    unknown community is 404."""
    community = await find_community_by_slug(slug)
    if community is None:
        raise NotFound(f"No community {slug!r}.")
    if not user.is_admin and not await is_organizer_of(user, community.id):
        raise Forbidden("Only the community's organizers may see its attendance.")
    zone = _zone(community.timezone)
    span = report_range(starts_from, to, runtime.clock.now().astimezone(zone).date(), zone)
    rows = await repository.attendance_report(community.id, span.starts_from, span.starts_before)
    return build_report(community.slug, span, rows)


# ------------------------------------------------------------------------------------- CSV

COLUMNS = tuple(f.encode_name for f in msgspec.structs.fields(AttendanceRow))
_TEXT_COLUMNS = ("workshop_title", "host_name")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def choose_format(format: str | None, accept: str | None) -> str:
    """`json` or `csv`: `format` if given (else a 400), otherwise `text/csv` preferred in the
    Accept header over JSON."""
    if format is not None:
        if format.strip().lower() not in FORMATS:
            raise _invalid("format", "json or csv")
        return format.strip().lower()
    return "csv" if accept == "text/csv" else "json"


def check_separator(sep: str | None) -> str:
    if sep is None:
        return ","
    if sep not in SEPARATORS:
        raise _invalid("sep", "',' or ';'")
    return sep


def _text(value: str) -> str:
    # a spreadsheet must not run a host's title as a formula
    return "'" + value if value.startswith(_FORMULA_START) else value


_TEXT_AT = [COLUMNS.index(name) for name in _TEXT_COLUMNS]
_BOOL_AT = [i for i, f in enumerate(msgspec.structs.fields(AttendanceRow)) if f.type is bool]
_FLOAT_AT = [i for i, name in enumerate(COLUMNS) if name in ("fill_rate", "no_show_rate", "average_rating")]


def report_csv(report: AttendanceReport, sep: str = ",", headings: Sequence[str] | None = None) -> bytes:
    """The session rows as CSV: UTF-8 with a BOM, a header line (the JSON keys, `COLUMNS`, or
    `headings` in their order: the dashboard's download in the viewer's language), the csv
    module's quoting (an empty cell for null); with `;` decimals use a comma, as spreadsheets
    in French locales read them."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=sep)
    writer.writerow(headings or COLUMNS)
    rows = []
    for item in msgspec.to_builtins(report.items):  # dicts in field order, dates as RFC 3339
        cells = list(item.values())
        for i in _TEXT_AT:
            cells[i] = _text(cells[i])
        for i in _BOOL_AT:
            cells[i] = "true" if cells[i] else "false"
        if sep == ";":
            for i in _FLOAT_AT:
                if cells[i] is not None:
                    cells[i] = repr(cells[i]).replace(".", ",")
        rows.append(cells)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def csv_filename(report: AttendanceReport) -> str:
    return f"attendance-{report.community}-{report.starts_from.isoformat()}-{report.to.isoformat()}.csv"
