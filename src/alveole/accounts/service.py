"""Account use cases: register, authenticate, profile, communities and organizers."""
from __future__ import annotations

import datetime as dt
import secrets

from piccolo.engine.base import Engine  # noqa: F401  (typing only)

from alveole.accounts.passwords import hash_password
from alveole.accounts.tables import User
from alveole.errors import DomainError


class EmailTaken(DomainError):
    status, slug, title = 409, "email-taken", "An account with this email already exists"


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    email: str, password: str, display_name: str, now: dt.datetime, *,
    locale: str = "en", timezone: str = "UTC", is_admin: bool = False,
) -> int:
    """Insert a user; raises EmailTaken when the (case-insensitive) email exists."""
    email = normalise_email(email)
    if await User.exists().where(User.email == email):
        raise EmailTaken()
    user = User(
        email=email, display_name=display_name.strip(), password_hash=await hash_password(password),
        locale=locale, timezone=timezone, is_admin=is_admin,
        calendar_token=secrets.token_urlsafe(24), created_at=now,
    )
    try:
        await User.insert(user)
    except Exception as exc:  # unique violation in a race between two registrations
        if await User.exists().where(User.email == email):
            raise EmailTaken() from exc
        raise
    return user.id
