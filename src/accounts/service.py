"""Account use cases: register, log in and out, profile, communities and organizers.

Rate limits (in-process, see kernel.ratelimit; off when settings.rate_limits is False):
- login, per client IP: 50 attempts per 15 minutes, right or wrong (each costs an argon2
  verification, ~150 ms of CPU);
- login, per (email, client IP): 10 failures per 15 minutes; a success from that address
  clears them. Failing for someone else's email from one address never holds back the owner
  at another;
- login, per email across all addresses: 100 failures per 15 minutes, so a guesser spread over
  many addresses is slowed too. An address that logged into the account within the last 30
  days is exempt from this one, so such a spread attack cannot lock the owner out either;
- register: 20 attempts per client IP per hour.
Failures are counted for unknown emails exactly as for known ones, so no limit reveals whether
an email exists. Over a limit → 429 `rate-limited` with `Retry-After`, before any password is
hashed.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

import msgspec

from accounts import repository, rules, schemas
from accounts.auth import forget_user, issue_token, revoke_token
from accounts.errors import CommunityExists, EmailTaken
from accounts.passwords import hash_password, verify_password
from accounts.rules import FieldError, normalise_email
from kernel.errors import InvalidCredentials, NotFound, RateLimited, ValidationFailed
from kernel.ids import is_id
from kernel.ratelimit import RateLimiter, RecentKeys
from kernel.runtime import Runtime
from kernel.sql import UniqueViolation

__all__ = [
    "EmailTaken", "normalise_email", "create_user", "PublicProfile", "get_public_profile",
    "user_id_for_calendar_token", "rotate_calendar_token", "register", "login", "logout",
    "get_me", "update_me", "create_community", "list_communities", "get_community",
    "find_community_by_slug", "find_community_by_id", "name_organizer", "user_id_for_email",
    "rename_community", "community_organizers", "remove_organizer",
]

LOGIN_ATTEMPTS_PER_IP = 50
LOGIN_FAILURES_PER_EMAIL_AND_IP = 10
LOGIN_FAILURES_PER_EMAIL = 100
LOGIN_WINDOW = dt.timedelta(minutes=15)
KNOWN_ADDRESS_WINDOW = dt.timedelta(days=30)
REGISTRATIONS_PER_IP = 20
REGISTER_WINDOW = dt.timedelta(hours=1)
COMMUNITY_NAME_MAX = 200  # as `schemas.CommunityCreate.name`


def invalid(errors: list[FieldError]) -> ValidationFailed:
    return ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors),
                            errors=[e.as_dict() for e in errors])


def raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise invalid(errors)


# --- rate limits ------------------------------------------------------------------------------

@dataclass
class _Limits:
    login_ip: RateLimiter
    login_email_ip: RateLimiter
    login_email: RateLimiter
    known_addresses: RecentKeys  # (email, IP) pairs that logged in successfully
    register_ip: RateLimiter


def _limits(runtime: Runtime) -> _Limits | None:
    limits = runtime.rate_limits
    if not (limits.enabled and runtime.settings.rate_limits):
        return None
    return _Limits(
        login_ip=limits.limiter("login-ip", LOGIN_ATTEMPTS_PER_IP, LOGIN_WINDOW),
        login_email_ip=limits.limiter("login-email-ip", LOGIN_FAILURES_PER_EMAIL_AND_IP,
                                      LOGIN_WINDOW),
        login_email=limits.limiter("login-email", LOGIN_FAILURES_PER_EMAIL, LOGIN_WINDOW),
        known_addresses=limits.recent("login-known-addresses", KNOWN_ADDRESS_WINDOW),
        register_ip=limits.limiter("register-ip", REGISTRATIONS_PER_IP, REGISTER_WINDOW),
    )


def _refuse_if_limited(*checks: tuple[RateLimiter, str]) -> None:
    waits = [w for limiter, key in checks if (w := limiter.retry_after(key)) is not None]
    if waits:
        retry_after = max(waits)
        raise RateLimited(f"Too many attempts; try again in {retry_after} seconds.",
                          retry_after=retry_after)


# --- users ------------------------------------------------------------------------------------

def valid_email(email: str) -> str:
    """`email` in its stored form (see rules.normalise_email); 400 naming `email` otherwise."""
    normalised = normalise_email(email)
    if normalised is None:
        raise invalid(rules.email_errors(email))
    return normalised


async def create_user(
    email: str, password: str, display_name: str, now: dt.datetime, *,
    locale: str = "en", timezone: str = "UTC", is_admin: bool = False,
    bio: str = "", skills: Sequence[str] = (),
) -> int:
    """Insert a user; raises EmailTaken when the (case-insensitive) email exists, and
    ValidationFailed for anything but one valid address or a display name without text."""
    email = valid_email(email)
    raise_if(rules.profile_errors(display_name=display_name))
    if await repository.email_exists(email):
        raise EmailTaken()
    try:
        return await repository.insert_user(
            email=email, display_name=display_name.strip(),
            password_hash=await hash_password(password), locale=locale, timezone=timezone,
            is_admin=is_admin, calendar_token=secrets.token_urlsafe(24), created_at=now,
            bio=bio, skills=skills,
        )
    except UniqueViolation as exc:  # a race between two registrations (or, unlikely, a token)
        if await repository.email_exists(email):
            raise EmailTaken() from exc
        raise


async def user_id_for_email(email: str) -> int | None:
    """The id of the account with this email (any case), if any."""
    normalised = normalise_email(email)
    return None if normalised is None else await repository.user_id_for_email(normalised)


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
    with the same answer and the same argon2 work whether the email exists or not (or is not
    an address at all: no account has such an email, and it is never looked up)."""
    normalised = normalise_email(email)
    # an invalid address is counted under its trimmed, lower-cased self like any other
    email_key = normalised if normalised is not None else email.strip().lower()
    pair_key = f"{client_ip} {email_key}"  # an IP holds no space
    limits = _limits(runtime)
    if limits:
        checks = [(limits.login_ip, client_ip), (limits.login_email_ip, pair_key)]
        if pair_key not in limits.known_addresses:
            checks.append((limits.login_email, email_key))
        _refuse_if_limited(*checks)
        limits.login_ip.hit(client_ip)
    row = None if normalised is None else await repository.login_row(normalised)
    if not await verify_password(row["password_hash"] if row else None, password):
        if limits:
            limits.login_email_ip.hit(pair_key)
            limits.login_email.hit(email_key)
        raise InvalidCredentials()
    if limits:
        # the email's failures from elsewhere stay counted: they may be a spread-out guesser
        limits.login_email_ip.reset(pair_key)
        limits.known_addresses.note(pair_key)
    token = await issue_token(row["id"], runtime.clock.now())
    return token, await get_me(runtime, row["id"])


async def logout(token: str) -> None:
    await revoke_token(token)


def calendar_url(runtime: Runtime, calendar_token: str | None) -> str | None:
    if not calendar_token:
        return None
    return f"{runtime.settings.base_url}/calendar/{calendar_token}/feed.ics"


async def organizer_slugs(user_id: int) -> list[str]:
    return await repository.organizer_slugs(user_id)


async def get_me(runtime: Runtime, user_id: int) -> schemas.User:
    row = await repository.me_row(user_id)
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
    changes: dict[str, Any] = {}
    if data.display_name is not schemas.UNSET:
        changes["display_name"] = data.display_name.strip()
    if data.locale is not schemas.UNSET:
        changes["locale"] = data.locale
    if data.timezone is not schemas.UNSET:
        changes["timezone"] = data.timezone
    if data.bio is not schemas.UNSET:
        changes["bio"] = data.bio.strip()
    if data.skills is not schemas.UNSET:
        changes["skills"] = rules.clean_skills(data.skills)
    if changes:
        await repository.update_active_user(user_id, changes)
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
    row = await repository.public_profile_row(user_id)
    return PublicProfile(**row) if row else None


async def user_id_for_calendar_token(token: str) -> int | None:
    if not token or rules.has_nul(token):
        return None
    return await repository.user_id_for_calendar_token(token)


async def rotate_calendar_token(user_id: int) -> str:
    """Revoke the user's personal calendar feed URL and issue a new one."""
    token = secrets.token_urlsafe(24)
    await repository.set_calendar_token(user_id, token)
    return token


# --- communities and organizers ---------------------------------------------------------------

async def create_community(data: schemas.CommunityCreate) -> schemas.Community:
    name_nul = rules.nul_errors(name=data.name)
    raise_if(rules.profile_errors(timezone=data.timezone)
             + (name_nul or rules.name_errors("name", data.name)))
    taken = CommunityExists(f"A community with slug {data.slug!r} already exists.")
    if await repository.community_slug_exists(data.slug):
        raise taken
    try:
        await repository.insert_community(
            slug=data.slug, name=data.name.strip(), timezone=data.timezone, locale=data.locale,
            lat=data.lat, lon=data.lon, moderation=data.moderation)
    except UniqueViolation as exc:  # another admin won the race for this slug
        if await repository.community_slug_exists(data.slug):
            raise taken from exc
        raise
    return await get_community(data.slug)


async def list_communities(limit: int, offset: int) -> schemas.CommunityPage:
    rows = await repository.community_rows(limit, offset)
    return schemas.CommunityPage(items=[schemas.Community(**r) for r in rows],
                                 total=await repository.count_communities())


async def get_community(slug: str) -> schemas.Community:
    community = await find_community_by_slug(slug)
    if community is None:
        raise NotFound(f"No community {slug!r}.")
    return community


async def find_community_by_slug(slug: str) -> schemas.Community | None:
    """The community with this slug, or None (also for a slug no community could have)."""
    if not slug or len(slug) > 64 or rules.has_nul(slug):
        return None
    row = await repository.community_by_slug(slug)
    return schemas.Community(**row) if row else None


async def find_community_by_id(community_id: int) -> schemas.Community | None:
    if not is_id(community_id):
        return None
    row = await repository.community_by_id(community_id)
    return schemas.Community(**row) if row else None


async def name_organizer(slug: str, email: str) -> tuple[schemas.Organizer, bool]:
    """Make the account with `email` an organizer of the community; True when newly named.
    Naming someone twice changes nothing (one row per pair, enforced by the database)."""
    community = await get_community(slug)
    user = await repository.active_user_by_email(valid_email(email))
    if user is None:
        raise NotFound("No account with this email.")
    answer = schemas.Organizer(community=community.slug, user_id=user["id"], email=user["email"],
                               display_name=user["display_name"])
    pair = f"{community.id}:{user['id']}"
    if await repository.organizer_pair_exists(pair):
        return answer, False
    try:
        await repository.insert_organizer(community.id, user["id"], pair)
    except UniqueViolation:  # the same pair was just named concurrently
        if await repository.organizer_pair_exists(pair):
            return answer, False
        raise
    return answer, True


async def rename_community(community_id: int, name: str) -> schemas.Community:
    """A new name (the slug, which links and feeds use, stays); the same rules as at creation."""
    too_long = [FieldError("name", f"at most {COMMUNITY_NAME_MAX} characters")] \
        if len(name.strip()) > COMMUNITY_NAME_MAX else []
    raise_if(rules.nul_errors(name=name) or rules.name_errors("name", name) or too_long)
    if not is_id(community_id) or not await repository.rename_community(community_id, name.strip()):
        raise NotFound(f"No community {community_id}.")
    community = await find_community_by_id(community_id)
    assert community is not None
    return community


async def update_community(slug: str, data: schemas.CommunityUpdate) -> schemas.Community:
    """Change what the body names, with the rules of creation. Turning moderation off publishes
    nothing by itself: submitted workshops wait for an organizer as before."""
    community = await get_community(slug)
    changes = {name: value for name in data.__struct_fields__
               if (value := getattr(data, name)) is not msgspec.UNSET}
    errors: list[FieldError] = []
    if "name" in changes:
        errors += rules.nul_errors(name=changes["name"]) or rules.name_errors("name", changes["name"])
        changes["name"] = changes["name"].strip()
    if "timezone" in changes:
        errors += rules.profile_errors(timezone=changes["timezone"])
    raise_if(errors)
    if changes and not await repository.update_community(community.id, changes):
        raise NotFound(f"No community {slug!r}.")
    return await get_community(slug)


async def community_organizers(community_id: int) -> list[schemas.Organizer]:
    """The organizers of a community who still have an account, by user id."""
    community = await find_community_by_id(community_id)
    if community is None:
        raise NotFound(f"No community {community_id}.")
    return [schemas.Organizer(community=community.slug, user_id=r["id"], email=r["email"],
                              display_name=r["display_name"])
            for r in await repository.organizers_of(community_id)]


async def remove_organizer(community_id: int, user_id: int) -> None:
    """The user no longer organizes the community (their account stays); NotFound if they did not."""
    if not (is_id(community_id) and is_id(user_id)
            and await repository.delete_organizer(community_id, user_id)):
        raise NotFound("This person is not an organizer of this community.")
