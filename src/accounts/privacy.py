"""Own your data: export everything held about a user, and erase an account.

Accounts holds the profile and login sessions; every other package adds its share through
the `PersonalData` port (`runtime.personal_data`, filled in by the bootstrap)."""
from __future__ import annotations

from typing import Any

from accounts import schemas
from accounts.auth import forget_user
from accounts.rules import erased_email
from accounts.service import calendar_url, organizer_slugs
from accounts.tables import AuthToken, Organizer, User
from kernel.errors import NotFound
from kernel.runtime import Runtime
from kernel.sql import write_transaction

ERASED_DISPLAY_NAME = "Deleted user"
_SECTIONS = {
    "workshops_hosted": schemas.ExportWorkshop, "bookings": schemas.ExportBooking,
    "waitlist_entries": schemas.ExportWaitlistEntry, "feedback": schemas.ExportFeedback,
    "emails": schemas.ExportEmail,
}


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
    sections: dict[str, list[Any]] = {name: [] for name in _SECTIONS}
    for provider in runtime.personal_data:
        for name, rows in (await provider.export(user_id)).items():
            sections[name].extend(_SECTIONS[name](**row) for row in rows)
    return schemas.Export(
        exported_at=runtime.clock.now(),
        profile=schemas.ExportProfile(**profile),
        organizer_of=await organizer_slugs(user_id),
        sessions=[schemas.ExportSession(**row) for row in sessions],
        **sections,
    )


async def delete_account(runtime: Runtime, user_id: int) -> None:
    """Erase a user's personal data. Bookings stay (anonymous) for attendance counts; feedback
    keeps its rating and loses its comment; every login session ends at once."""
    # Sessions end first, so no booking can be made between the release and the erasure.
    await AuthToken.delete().where(AuthToken.user == user_id)
    forget_user(user_id)
    for provider in runtime.personal_data:
        await provider.release(runtime, user_id)
    async with write_transaction():
        await User.update({
            User.email: erased_email(user_id), User.display_name: ERASED_DISPLAY_NAME,
            User.password_hash: "", User.bio: "", User.skills: [], User.calendar_token: None,
            User.is_admin: False, User.deleted_at: runtime.clock.now(),
        }).where(User.id == user_id)
        await AuthToken.delete().where(AuthToken.user == user_id)
        await Organizer.delete().where(Organizer.user == user_id)
        for provider in runtime.personal_data:
            await provider.erase(user_id)
    forget_user(user_id)
