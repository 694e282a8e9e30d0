"""Booking's share of a user's data: export bookings, waitlist entries and feedback; on
erasure release upcoming seats and drop feedback comments (ratings stay for the counts)."""
from __future__ import annotations

from typing import Any

from booking import repository


class BookingPersonalData:
    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        return await repository.personal_data(user_id)

    async def release(self, runtime: Any, user_id: int) -> None:
        """Cancel the user's bookings of upcoming sessions and withdraw their waitlist entries,
        so the seats go to the next in line (past bookings stay, anonymous, for attendance)."""
        from booking.service import release_user

        await release_user(runtime, user_id)

    async def erase(self, user_id: int) -> None:
        await repository.erase_feedback_comments(user_id)
