"""Response bodies of the attendance report (`GET /api/v1/communities/{slug}/attendance`).

The order of `AttendanceRow`'s fields is the order of the CSV columns: API.md's session row
first, then what the report adds."""
from __future__ import annotations

import datetime as dt

from msgspec import Struct, field


class AttendanceRow(Struct, kw_only=True):
    """One session of the range (cancelled ones too, with `cancelled: true` and no rates)."""

    session_id: int
    workshop_id: int
    workshop_title: str
    starts_at: dt.datetime  # in the session's own time zone
    capacity: int
    booked_seats: int
    attended_seats: int
    no_show_seats: int
    late_cancellations: int
    waitlist_length: int
    fill_rate: float | None
    average_rating: float | None
    unknown_seats: int
    no_show_rate: float | None
    waitlist_promoted: int
    new_participants: int
    returning_participants: int
    cancelled: bool
    host_id: int
    host_name: str
    rating_count: int
    relay_bookings: int  # booked for neighbours by relays (not cancelled, or released)
    walk_in_seats: int  # let in at the door
    standby_seats_served: int  # served from the standby list
    released_no_show_seats: int  # seats of no-shows given to the standby list


class AttendanceFigures(Struct, kw_only=True):
    """Sums over sessions: counts over every session of the group, `capacity` and the rates
    over those not cancelled; participants are distinct people."""

    sessions: int
    cancelled_sessions: int
    capacity: int
    booked_seats: int
    attended_seats: int
    no_show_seats: int
    unknown_seats: int
    late_cancellations: int
    waitlist_length: int
    waitlist_promoted: int
    fill_rate: float | None
    no_show_rate: float | None
    average_rating: float | None
    rating_count: int
    new_participants: int
    returning_participants: int
    relay_bookings: int
    walk_in_seats: int
    standby_seats_served: int
    released_no_show_seats: int


class WorkshopAttendance(AttendanceFigures, kw_only=True):
    workshop_id: int
    workshop_title: str
    host_id: int


class HostAttendance(AttendanceFigures, kw_only=True):
    host_id: int
    display_name: str


class AttendanceReport(Struct, kw_only=True):
    community: str
    starts_from: dt.date = field(name="from")  # the first day of the range (inclusive)
    to: dt.date  # the last day of the range (inclusive)
    items: list[AttendanceRow]
    total: AttendanceFigures
    workshops: list[WorkshopAttendance]
    hosts: list[HostAttendance]
