"""Seat counts and ratings for the workshops side (implements workshops.ports.BookingStats).

Placeholder until the booking engine lands: nothing taken, nothing rated."""
from __future__ import annotations

from workshops.ports import NoBookings


class BookingStatsFromDatabase(NoBookings):
    pass
