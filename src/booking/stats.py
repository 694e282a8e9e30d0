"""Seat counts and ratings for the workshops side (implements kernel.ports.BookingStats)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from booking import repository
from booking.ops import occupancy_from_row
from kernel.ports import Rating, RecipeRuns, SessionSeats

def rating(row: Any) -> Rating:
    """A `repository` rating row (`n`, `average`): the database already left the average NULL
    below `rules.RATINGS_SHOWN_FROM` ratings."""
    if row is None:
        return Rating()
    average = row["average"]
    return Rating(average=None if average is None else float(average), count=int(row["n"] or 0))


class BookingStatsFromDatabase:
    async def seats_by_session(self, session_ids: Sequence[int], now: dt.datetime) -> dict[int, SessionSeats]:
        """One query, the booking operations' own seat count: confirmed seats + unexpired holds
        + seats of unexpired offers, and the number of `waiting` entries, per session."""
        ids = sorted(set(session_ids))
        result = {sid: SessionSeats() for sid in ids}
        if not ids:
            return result
        for row in await repository.seats_of_sessions(ids, now):
            occupancy = occupancy_from_row(row)
            result[row["session"]] = SessionSeats(seats_taken=int(occupancy.taken),
                                                  waitlist_length=int(occupancy.waiting))
        return result

    async def rating_by_workshop(self, workshop_ids: Sequence[int]) -> dict[int, Rating]:
        ids = sorted(set(workshop_ids))
        result = {wid: Rating() for wid in ids}
        if not ids:
            return result
        for row in await repository.ratings_by_workshop(ids):
            result[row["workshop"]] = rating(row)
        return result

    async def rating_of_host(self, host_id: int) -> Rating:
        return rating(await repository.rating_of_host(host_id))

    async def recipe_runs(self, recipe_id: int, now: dt.datetime) -> RecipeRuns:
        """The record of a recipe's whole lineage, in one statement (`repository.RECIPE_RUNS`)."""
        row = await repository.recipe_runs(recipe_id, now)
        return RecipeRuns(sessions=int(row["sessions"] or 0), communities=int(row["communities"] or 0),
                          attended_seats=int(row["attended_seats"] or 0), rating=rating(row))
