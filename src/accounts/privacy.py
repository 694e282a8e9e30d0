"""Own your data: export everything held about a user, and erase an account.

Accounts holds the profile and login sessions; every other package adds its share through
the `PersonalData` port (`runtime.personal_data`, filled in by the bootstrap)."""
from __future__ import annotations

from typing import Any

from accounts import repository, schemas
from accounts.rules import erased_email
from accounts.service import calendar_url, organizer_slugs
from kernel.errors import NotFound
from kernel.runtime import Runtime
from kernel.sql import write_transaction

ERASED_DISPLAY_NAME = "Deleted user"
_SECTIONS = {
    "workshops_hosted": schemas.ExportWorkshop, "bookings": schemas.ExportBooking,
    "waitlist_entries": schemas.ExportWaitlistEntry, "feedback": schemas.ExportFeedback,
    "refunds": schemas.ExportRefund, "emails": schemas.ExportEmail, "recipes": schemas.ExportRecipe,
}


async def export_user_data(runtime: Runtime, user_id: int) -> schemas.Export:
    profile = await repository.export_profile_row(user_id)
    if profile is None:
        raise NotFound("No such user.")
    profile["calendar_url"] = calendar_url(runtime, profile.pop("calendar_token"))
    sessions = await repository.login_sessions(user_id)
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
    await repository.delete_tokens_of(user_id)
    for provider in runtime.personal_data:
        await provider.release(runtime, user_id)
    async with write_transaction():
        await repository.erase_user(user_id, email=erased_email(user_id),
                                    display_name=ERASED_DISPLAY_NAME, now=runtime.clock.now())
        await repository.delete_tokens_of(user_id)
        await repository.delete_one_time_tokens_of(user_id)
        await repository.delete_organizer_rows_of(user_id)
        await repository.delete_relay_rows_of(user_id)
        for provider in runtime.personal_data:
            await provider.erase(user_id)
