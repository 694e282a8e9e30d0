"""Own your data: export everything held about a user, and erase an account.

Part of the composition root, so it reads every package's tables; each query is keyed by the
user through an indexed foreign key (or a join from one), except the outbox's `recipient`,
which notify has not indexed yet."""
from __future__ import annotations

from typing import Any

from alveole.accounts import schemas
from alveole.accounts.auth import forget_user
from alveole.accounts.rules import erased_email
from alveole.accounts.service import calendar_url, organizer_slugs, write_transaction
from alveole.accounts.tables import AuthToken, Organizer, User
from alveole.errors import NotFound
from alveole.runtime import Runtime
from booking.tables import Booking, Feedback, WaitlistEntry
from notify.tables import OutboxMessage
from workshops.tables import Workshop

ERASED_DISPLAY_NAME = "Deleted user"


async def export_user_data(runtime: Runtime, user_id: int) -> schemas.Export:
    profile = await (
        User.select(User.id, User.email, User.display_name, User.locale, User.timezone, User.bio,
                    User.skills, User.is_admin, User.calendar_token, User.created_at)
        .where((User.id == user_id) & User.deleted_at.is_null()).output(load_json=True).first()
    )
    if profile is None:
        raise NotFound("No such user.")
    profile["calendar_url"] = calendar_url(runtime, profile.pop("calendar_token"))

    sessions = await (AuthToken.select(AuthToken.created_at, AuthToken.expires_at)
                      .where(AuthToken.user == user_id).order_by(AuthToken.created_at))
    workshops = await (
        Workshop.select(Workshop.id, Workshop.community.slug.as_alias("community"), Workshop.title,
                        Workshop.summary, Workshop.status, Workshop.created_at)
        .where(Workshop.host == user_id).order_by(Workshop.id)
    )
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
    emails = await (
        OutboxMessage.select(OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.status,
                             OutboxMessage.created_at)
        .where(OutboxMessage.recipient == user_id).order_by(OutboxMessage.id)
    )
    return schemas.Export(
        exported_at=runtime.clock.now(),
        profile=schemas.ExportProfile(**profile),
        organizer_of=await organizer_slugs(user_id),
        sessions=_structs(schemas.ExportSession, sessions),
        workshops_hosted=_structs(schemas.ExportWorkshop, workshops),
        bookings=_structs(schemas.ExportBooking, bookings),
        waitlist_entries=_structs(schemas.ExportWaitlistEntry, waitlist),
        feedback=_structs(schemas.ExportFeedback, feedback),
        emails=_structs(schemas.ExportEmail, emails),
    )


def _structs(kind: type, rows: list[dict[str, Any]]) -> list[Any]:
    return [kind(**row) for row in rows]


async def release_bookings(runtime: Runtime, user_id: int) -> None:
    """Cancel the user's bookings of upcoming sessions and withdraw their waitlist entries, so
    the seats go to the next in line (past bookings stay, anonymous, for attendance counts)."""
    from booking.service import release_user

    await release_user(runtime, user_id)


async def delete_account(runtime: Runtime, user_id: int) -> None:
    """Erase a user's personal data. Bookings stay (anonymous) for attendance counts; feedback
    keeps its rating and loses its comment; every login session ends at once."""
    # Sessions end first, so no booking can be made between the release and the erasure.
    await AuthToken.delete().where(AuthToken.user == user_id)
    forget_user(user_id)
    await release_bookings(runtime, user_id)
    async with write_transaction():
        await User.update({
            User.email: erased_email(user_id), User.display_name: ERASED_DISPLAY_NAME,
            User.password_hash: "", User.bio: "", User.skills: [], User.calendar_token: None,
            User.is_admin: False, User.deleted_at: runtime.clock.now(),
        }).where(User.id == user_id)
        await AuthToken.delete().where(AuthToken.user == user_id)
        await Organizer.delete().where(Organizer.user == user_id)
        await Feedback.update({Feedback.comment: ""}).where(
            Feedback.booking.is_in(Booking.select(Booking.id).where(Booking.user == user_id)))
    forget_user(user_id)
