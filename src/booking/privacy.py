"""Booking's share of a user's data: export bookings, waitlist entries and feedback; on
erasure release upcoming seats and drop feedback comments (ratings stay for the counts)."""
from __future__ import annotations

from typing import Any

from booking.tables import Booking, Feedback, WaitlistEntry


class BookingPersonalData:
    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        bookings = await (
            Booking.select(
                Booking.id, Booking.session.id.as_alias("session_id"),
                Booking.session.workshop.id.as_alias("workshop_id"),
                Booking.session.workshop.title.as_alias("workshop_title"),
                Booking.session.starts_at.as_alias("starts_at"), Booking.seats, Booking.status,
                Booking.attendance, Booking.amount_cents, Booking.currency, Booking.late_cancellation,
                Booking.created_at, Booking.cancelled_at,
            ).where(Booking.user == user_id).order_by(Booking.id)
        )
        waitlist = await (
            WaitlistEntry.select(
                WaitlistEntry.id, WaitlistEntry.session.id.as_alias("session_id"),
                WaitlistEntry.session.workshop.title.as_alias("workshop_title"), WaitlistEntry.seats,
                WaitlistEntry.status, WaitlistEntry.offer_expires_at, WaitlistEntry.created_at,
            ).where(WaitlistEntry.user == user_id).order_by(WaitlistEntry.id)
        )
        feedback = await (
            Feedback.select(
                Feedback.booking.id.as_alias("booking_id"),
                Feedback.booking.session.workshop.title.as_alias("workshop_title"),
                Feedback.rating, Feedback.comment, Feedback.created_at,
            ).where(Feedback.booking.user == user_id).order_by(Feedback.id)
        )
        return {"bookings": bookings, "waitlist_entries": waitlist, "feedback": feedback}

    async def release(self, runtime: Any, user_id: int) -> None:
        """Cancel the user's bookings of upcoming sessions and withdraw their waitlist entries,
        so the seats go to the next in line (past bookings stay, anonymous, for attendance)."""
        from booking.service import release_user

        await release_user(runtime, user_id)

    async def erase(self, user_id: int) -> None:
        await Feedback.update({Feedback.comment: ""}).where(
            Feedback.booking.is_in(Booking.select(Booking.id).where(Booking.user == user_id)))
