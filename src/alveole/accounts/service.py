"""Account use cases: register, authenticate, profile, communities and organizers."""
from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass

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


@dataclass(frozen=True)
class PublicProfile:
    id: int
    display_name: str
    bio: str
    skills: list[str]
    locale: str
    timezone: str


async def get_public_profile(user_id: int) -> PublicProfile | None:
    """A user's public face (hosts), or None when unknown or erased."""
    row = await (
        User.select(User.id, User.display_name, User.bio, User.skills, User.locale, User.timezone)
        .where((User.id == user_id) & User.deleted_at.is_null())
        .first()
    )
    if row is None:
        return None
    skills = row["skills"]
    if isinstance(skills, str):
        skills = json.loads(skills)
    return PublicProfile(id=row["id"], display_name=row["display_name"], bio=row["bio"],
                         skills=list(skills or []), locale=row["locale"], timezone=row["timezone"])


async def user_id_for_calendar_token(token: str) -> int | None:
    if not token:
        return None
    row = await User.select(User.id).where(
        (User.calendar_token == token) & User.deleted_at.is_null()).first()
    return row["id"] if row else None


async def rotate_calendar_token(user_id: int) -> str:
    """Revoke the user's personal calendar feed URL and issue a new one."""
    token = secrets.token_urlsafe(24)
    await User.update({User.calendar_token: token}).where(User.id == user_id)
    return token
