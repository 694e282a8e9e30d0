"""What `workshops` needs to know from the booking side, injected by the composition root.

`workshops` may not import `booking`; the app puts an implementation of `BookingStats`
(booking.stats.BookingStatsFromDatabase) in `runtime.parts["booking_stats"]`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SessionSeats:
    """`seats_taken`: confirmed seats + unexpired payment holds + seats held for open offers."""

    seats_taken: int = 0
    waitlist_length: int = 0


@dataclass(frozen=True)
class Rating:
    average: float | None = None  # None below 3 ratings
    count: int = 0


class BookingStats(Protocol):
    async def seats_by_session(self, session_ids: Sequence[int], now: dt.datetime) -> dict[int, SessionSeats]: ...

    async def rating_by_workshop(self, workshop_ids: Sequence[int]) -> dict[int, Rating]: ...

    async def rating_of_host(self, host_id: int) -> Rating: ...


class NoBookings:
    """Until the booking side is wired: nothing taken, nothing rated."""

    async def seats_by_session(self, session_ids: Sequence[int], now: dt.datetime) -> dict[int, SessionSeats]:
        return {sid: SessionSeats() for sid in session_ids}

    async def rating_by_workshop(self, workshop_ids: Sequence[int]) -> dict[int, Rating]:
        return {wid: Rating() for wid in workshop_ids}

    async def rating_of_host(self, host_id: int) -> Rating:
        return Rating()
