"""Seat counts and ratings for the workshops side (implements kernel.ports.BookingStats)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from booking.tables import Booking
from kernel.ports import Rating, SessionSeats

MIN_RATINGS = 3  # an average is shown from this many ratings on


def _placeholders(n: int) -> str:
    return ", ".join(["{}"] * n)


def rating(total: float | None, count: int) -> Rating:
    if count < MIN_RATINGS or total is None:
        return Rating(average=None, count=count)
    return Rating(average=round(float(total) / count, 2), count=count)


class BookingStatsFromDatabase:
    async def seats_by_session(self, session_ids: Sequence[int], now: dt.datetime) -> dict[int, SessionSeats]:
        """One grouped query: confirmed seats + unexpired holds + seats of unexpired offers,
        and the number of `waiting` entries, per session."""
        ids = sorted(set(session_ids))
        result = {sid: SessionSeats() for sid in ids}
        if not ids:
            return result
        marks = _placeholders(len(ids))
        rows = await Booking.raw(
            "SELECT \"session\", SUM(taken) AS taken, SUM(waiting) AS waiting FROM ("
            f" SELECT \"session\", seats AS taken, 0 AS waiting FROM booking WHERE \"session\" IN ({marks})"
            "  AND (status = 'confirmed' OR (status = 'pending_payment' AND hold_expires_at > {}))"
            " UNION ALL"
            " SELECT \"session\", CASE WHEN status = 'offered' AND offer_expires_at > {} THEN seats ELSE 0 END,"
            "  CASE WHEN status = 'waiting' THEN 1 ELSE 0 END"
            f" FROM waitlist_entry WHERE \"session\" IN ({marks}) AND status IN ('waiting', 'offered')"
            ") AS seats GROUP BY \"session\"",
            *ids, now, now, *ids,
        )
        for row in rows:
            result[row["session"]] = SessionSeats(seats_taken=int(row["taken"]), waitlist_length=int(row["waiting"]))
        return result

    async def rating_by_workshop(self, workshop_ids: Sequence[int]) -> dict[int, Rating]:
        ids = sorted(set(workshop_ids))
        result = {wid: Rating() for wid in ids}
        if not ids:
            return result
        rows = await Booking.raw(
            "SELECT s.workshop AS workshop, SUM(f.rating) AS total, COUNT(*) AS n FROM feedback f "
            "JOIN booking b ON b.id = f.booking JOIN workshop_session s ON s.id = b.\"session\" "
            f"WHERE s.workshop IN ({_placeholders(len(ids))}) GROUP BY s.workshop", *ids)
        for row in rows:
            result[row["workshop"]] = rating(row["total"], int(row["n"]))
        return result

    async def rating_of_host(self, host_id: int) -> Rating:
        rows = await Booking.raw(
            "SELECT SUM(f.rating) AS total, COUNT(*) AS n FROM feedback f "
            "JOIN booking b ON b.id = f.booking JOIN workshop_session s ON s.id = b.\"session\" "
            "JOIN workshop w ON w.id = s.workshop WHERE w.host = {}", host_id)
        return rating(rows[0]["total"], int(rows[0]["n"])) if rows else Rating()
