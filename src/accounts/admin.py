"""`alveole create-admin`: create an admin account, or promote an existing one."""
from __future__ import annotations

import datetime as dt

from accounts import repository, rules
from accounts.errors import EmailTaken
from accounts.service import create_user
from kernel.clock import SystemClock


async def create_or_promote_admin(email: str, password: str, *,
                                  now: dt.datetime | None = None) -> str:
    """"created" for a new admin account; "promoted" when the email already had an account,
    which becomes admin and keeps its own password (the one given is not applied to it).
    Raises ValueError for a malformed email or a password of the wrong length."""
    normalised = rules.normalise_email(email)
    errors = rules.email_errors(email) + rules.password_errors(password)
    if errors or normalised is None:
        raise ValueError("; ".join(f"{e.field}: {e.message}" for e in errors))
    email = normalised
    if await _promote(email):
        return "promoted"
    try:
        name = email.split("@", 1)[0]
        await create_user(email, password, "Admin" if rules.name_errors("name", name) else name,
                          now or SystemClock().now(), is_admin=True, verified=True)
    except EmailTaken:  # created by someone else meanwhile
        if await _promote(email):
            return "promoted"
        raise ValueError(f"{email} belongs to an erased account") from None
    return "created"


async def _promote(email: str) -> bool:
    return await repository.promote_to_admin(email)
