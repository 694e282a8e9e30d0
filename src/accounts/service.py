"""Account use cases: register, log in and out, profile, communities and organizers.

Rate limits (in-process, see accounts.ratelimit; off when settings.rate_limits is False):
- login: 10 failed attempts per email per 15 minutes (counted for unknown emails too, so the
  limit reveals nothing), and 50 attempts per client IP per 15 minutes (each attempt costs an
  argon2 verification, ~150 ms of CPU); a success clears the email's failures;
- register: 20 attempts per client IP per hour.
Over a limit → 429 `rate-limited` with `Retry-After`, before any password is hashed.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any


from accounts import rules, schemas
from accounts.auth import forget_user, issue_token, revoke_token
from accounts.errors import CommunityExists, EmailTaken
from accounts.passwords import hash_password, verify_password
from accounts.rules import FieldError, normalise_email
from accounts.tables import Community, Organizer, User
from kernel.errors import InvalidCredentials, NotFound, RateLimited, ValidationFailed
from kernel.ratelimit import RateLimiter
from kernel.runtime import Runtime

__all__ = [
    "EmailTaken", "normalise_email", "create_user", "PublicProfile", "get_public_profile",
    "user_id_for_calendar_token", "rotate_calendar_token", "register", "login", "logout",
    "get_me", "update_me", "create_community", "list_communities", "get_community",
    "name_organizer",
]

LOGIN_FAILURES_PER_EMAIL = 10
LOGIN_ATTEMPTS_PER_IP = 50
LOGIN_WINDOW = dt.timedelta(minutes=15)
REGISTRATIONS_PER_IP = 20
REGISTER_WINDOW = dt.timedelta(hours=1)


def raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors),
                               errors=[e.as_dict() for e in errors])


# --- rate limits ------------------------------------------------------------------------------

@dataclass
class _Limits:
    login_email: RateLimiter
    login_ip: RateLimiter
    register_ip: RateLimiter


def _limits(runtime: Runtime) -> _Limits | None:
    limits = runtime.rate_limits
    if not (limits.enabled and runtime.settings.rate_limits):
        return None
    return _Limits(
        login_email=limits.limiter("login-email", LOGIN_FAILURES_PER_EMAIL, LOGIN_WINDOW),
        login_ip=limits.limiter("login-ip", LOGIN_ATTEMPTS_PER_IP, LOGIN_WINDOW),
        register_ip=limits.limiter("register-ip", REGISTRATIONS_PER_IP, REGISTER_WINDOW),
    )


def _refuse_if_limited(*checks: tuple[RateLimiter, str]) -> None:
    waits = [w for limiter, key in checks if (w := limiter.retry_after(key)) is not None]
    if waits:
        retry_after = max(waits)
        raise RateLimited(f"Too many attempts; try again in {retry_after} seconds.",
                          retry_after=retry_after)


# --- users ------------------------------------------------------------------------------------

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


async def register(runtime: Runtime, data: schemas.UserCreate, client_ip: str) -> schemas.User:
    limits = _limits(runtime)
    if limits:
        _refuse_if_limited((limits.register_ip, client_ip))
        limits.register_ip.hit(client_ip)
    raise_if(rules.email_errors(data.email)
             + rules.profile_errors(display_name=data.display_name, timezone=data.timezone))
    user_id = await create_user(data.email, data.password, data.display_name, runtime.clock.now(),
                                locale=data.locale, timezone=data.timezone)
    return await get_me(runtime, user_id)


async def login(runtime: Runtime, email: str, password: str, client_ip: str
                ) -> tuple[str, schemas.User]:
    """A new token for the right email and password; otherwise 401 `invalid-credentials`,
    with the same answer and the same argon2 work whether the email exists or not."""
    email = normalise_email(email)
    limits = _limits(runtime)
    if limits:
        _refuse_if_limited((limits.login_ip, client_ip), (limits.login_email, email))
        limits.login_ip.hit(client_ip)
    row = None if rules.has_nul(email) else await (  # no account has a NUL in its email
        User.select(User.id, User.password_hash)
        .where((User.email == email) & User.deleted_at.is_null()).first())
    if not await verify_password(row["password_hash"] if row else None, password):
        if limits:
            limits.login_email.hit(email)
        raise InvalidCredentials()
    if limits:
        limits.login_email.reset(email)
    token = await issue_token(row["id"], runtime.clock.now())
    return token, await get_me(runtime, row["id"])


async def logout(token: str) -> None:
    await revoke_token(token)


def calendar_url(runtime: Runtime, calendar_token: str | None) -> str | None:
    if not calendar_token:
        return None
    return f"{runtime.settings.base_url}/calendar/{calendar_token}/feed.ics"


async def organizer_slugs(user_id: int) -> list[str]:
    rows = await (Organizer.select(Organizer.community.slug)
                  .where(Organizer.user == user_id).order_by(Organizer.community.slug))
    return [r["community.slug"] for r in rows]


async def get_me(runtime: Runtime, user_id: int) -> schemas.User:
    row = await (
        User.select(User.id, User.email, User.display_name, User.locale, User.timezone,
                    User.is_admin, User.calendar_token, User.bio, User.skills)
        .where((User.id == user_id) & User.deleted_at.is_null()).output(load_json=True).first()
    )
    if row is None:
        raise NotFound("No such user.")
    return schemas.User(
        id=row["id"], email=row["email"], display_name=row["display_name"], locale=row["locale"],
        timezone=row["timezone"], is_admin=row["is_admin"],
        organizer_of=await organizer_slugs(user_id),
        calendar_url=calendar_url(runtime, row["calendar_token"]),
        bio=row["bio"], skills=row["skills"],
    )


async def update_me(runtime: Runtime, user_id: int, data: schemas.UserUpdate) -> schemas.User:
    def given(value: Any) -> Any:
        return None if value is schemas.UNSET else value

    raise_if(rules.profile_errors(display_name=given(data.display_name), bio=given(data.bio),
                                  timezone=given(data.timezone), skills=given(data.skills)))
    changes: dict[Any, Any] = {}
    if data.display_name is not schemas.UNSET:
        changes[User.display_name] = data.display_name.strip()
    if data.locale is not schemas.UNSET:
        changes[User.locale] = data.locale
    if data.timezone is not schemas.UNSET:
        changes[User.timezone] = data.timezone
    if data.bio is not schemas.UNSET:
        changes[User.bio] = data.bio.strip()
    if data.skills is not schemas.UNSET:
        changes[User.skills] = rules.clean_skills(data.skills)
    if changes:
        await User.update(changes).where((User.id == user_id) & User.deleted_at.is_null())
        forget_user(user_id)  # cached CurrentUser carries display_name, locale, timezone
    return await get_me(runtime, user_id)


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
        .output(load_json=True).first()
    )
    return PublicProfile(**row) if row else None


async def user_id_for_calendar_token(token: str) -> int | None:
    if not token or rules.has_nul(token):
        return None
    row = await User.select(User.id).where(
        (User.calendar_token == token) & User.deleted_at.is_null()).first()
    return row["id"] if row else None


async def rotate_calendar_token(user_id: int) -> str:
    """Revoke the user's personal calendar feed URL and issue a new one."""
    token = secrets.token_urlsafe(24)
    await User.update({User.calendar_token: token}).where(User.id == user_id)
    return token


# --- communities and organizers ---------------------------------------------------------------

_COMMUNITY_COLUMNS = (Community.id, Community.slug, Community.name, Community.timezone,
                      Community.locale, Community.lat, Community.lon, Community.moderation)


async def create_community(data: schemas.CommunityCreate) -> schemas.Community:
    errors = rules.profile_errors(timezone=data.timezone) + rules.nul_errors(name=data.name)
    if not data.name.strip():
        errors.append(FieldError("name", "must not be blank"))
    raise_if(errors)
    taken = CommunityExists(f"A community with slug {data.slug!r} already exists.")
    if await Community.exists().where(Community.slug == data.slug):
        raise taken
    community = Community(slug=data.slug, name=data.name.strip(), timezone=data.timezone,
                          locale=data.locale, lat=data.lat, lon=data.lon,
                          moderation=data.moderation)
    try:
        await Community.insert(community)
    except Exception as exc:  # unique violation: another admin won the race for this slug
        if await Community.exists().where(Community.slug == data.slug):
            raise taken from exc
        raise
    return await get_community(data.slug)


async def list_communities(limit: int, offset: int) -> schemas.CommunityPage:
    rows = await (Community.select(*_COMMUNITY_COLUMNS)
                  .order_by(Community.name).order_by(Community.id).limit(limit).offset(offset))
    return schemas.CommunityPage(items=[schemas.Community(**r) for r in rows],
                                 total=await Community.count())


async def get_community(slug: str) -> schemas.Community:
    row = None if rules.has_nul(slug) else await (
        Community.select(*_COMMUNITY_COLUMNS).where(Community.slug == slug).first())
    if row is None:
        raise NotFound(f"No community {slug!r}.")
    return schemas.Community(**row)


async def name_organizer(slug: str, email: str) -> tuple[schemas.Organizer, bool]:
    """Make the account with `email` an organizer of the community; True when newly named.
    Naming someone twice changes nothing (one row per pair, enforced by the database)."""
    community = await get_community(slug)
    raise_if(rules.email_errors(email))
    user = await (User.select(User.id, User.email, User.display_name)
                  .where((User.email == normalise_email(email)) & User.deleted_at.is_null())
                  .first())
    if user is None:
        raise NotFound("No account with this email.")
    answer = schemas.Organizer(community=community.slug, user_id=user["id"], email=user["email"],
                               display_name=user["display_name"])
    pair = f"{community.id}:{user['id']}"
    if await Organizer.exists().where(Organizer.pair == pair):
        return answer, False
    try:
        await Organizer.insert(Organizer(community=community.id, user=user["id"], pair=pair))
    except Exception:  # unique violation: the same pair was just named concurrently
        if await Organizer.exists().where(Organizer.pair == pair):
            return answer, False
        raise
    return answer, True
