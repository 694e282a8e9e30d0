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
- register: 20 attempts per client IP per hour;
- password change, per account: 10 wrong current passwords per 15 minutes.
The one-time links are bounded in the database, so the bounds hold across processes: a
`verify_email` resend while fewer than 4 links (the one sent at sign-up and 3 more) were made
for the account in the last 24 h, else 429 with `Retry-After`; a `password_reset` while
fewer than 3 were made for the address in the last hour, else nothing is sent and the answer
stays the same 202 (a 429 would tell that the account exists).
Failures are counted for unknown emails exactly as for known ones, so no limit reveals whether
an email exists. Over a limit → 429 `rate-limited` with `Retry-After`, before any password is
hashed.
"""
from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

import msgspec

from accounts import repository, rules, schemas, tokens
from accounts.auth import CurrentUser, hash_token, issue_token_if_password_is, revoke_token
from accounts.errors import CommunityExists, EmailNotVerified, EmailTaken, InvalidToken
from accounts.passwords import hash_password, verify_password
from accounts.rules import FieldError, normalise_email
from kernel.errors import InvalidCredentials, NotFound, RateLimited, ValidationFailed
from kernel.events import EmailVerificationRequested, PasswordResetRequested
from kernel.ids import is_id
from kernel.phones import can_receive_texts, normalise_phone
from kernel.ratelimit import RateLimiter, RecentKeys
from kernel.runtime import Runtime
from kernel.sql import PiccoloTx, UniqueViolation, write_transaction

__all__ = [
    "EmailTaken", "normalise_email", "create_user", "PublicProfile", "get_public_profile",
    "user_id_for_calendar_token", "rotate_calendar_token", "register", "login", "logout",
    "get_me", "update_me", "create_community", "list_communities", "get_community",
    "find_community_by_slug", "find_community_by_id", "find_communities_by_id", "name_organizer",
    "user_id_for_email", "rename_community", "community_organizers", "remove_organizer", "name_relay",
    "community_relays", "remove_relay", "relay_communities", "verify_email",
    "resend_verification", "forgot_password", "reset_password", "change_password",
    "logout_everywhere", "require_verified", "link_is_usable",
]

LOGIN_ATTEMPTS_PER_IP = 50
LOGIN_FAILURES_PER_EMAIL_AND_IP = 10
LOGIN_FAILURES_PER_EMAIL = 100
LOGIN_WINDOW = dt.timedelta(minutes=15)
KNOWN_ADDRESS_WINDOW = dt.timedelta(days=30)
REGISTRATIONS_PER_IP = 20
REGISTER_WINDOW = dt.timedelta(hours=1)
PASSWORD_CHANGE_FAILURES = 10
PASSWORD_CHANGE_WINDOW = dt.timedelta(minutes=15)
VERIFY_LINKS_PER_DAY = 4  # the link sent at sign-up and 3 resends
VERIFY_LINKS_WINDOW = dt.timedelta(hours=24)
RESET_LINKS_PER_HOUR = 3
RESET_LINKS_WINDOW = dt.timedelta(hours=1)
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
    password_change: RateLimiter


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
        password_change=limits.limiter("password-change", PASSWORD_CHANGE_FAILURES,
                                       PASSWORD_CHANGE_WINDOW),
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
    bio: str = "", skills: Sequence[str] = (), verified: bool = False,
) -> int:
    """Insert a user; raises EmailTaken when the (case-insensitive) email exists, and
    ValidationFailed for anything but one valid address or a display name without text.
    `verified`: the address counts as verified from now (admins, demo users)."""
    email = valid_email(email)
    raise_if(rules.profile_errors(display_name=display_name))
    if await repository.email_exists(email):
        raise EmailTaken()
    try:
        return await repository.insert_user(
            email=email, display_name=display_name.strip(),
            password_hash=await hash_password(password), locale=locale, timezone=timezone,
            is_admin=is_admin, calendar_token=secrets.token_urlsafe(24), created_at=now,
            bio=bio, skills=skills, email_verified_at=now if verified else None,
        )
    except UniqueViolation as exc:  # a race between two registrations (or, unlikely, a token)
        if await repository.email_exists(email):
            raise EmailTaken() from exc
        raise


async def user_id_for_email(email: str) -> int | None:
    """The id of the account with this email (any case), if any."""
    normalised = normalise_email(email)
    return None if normalised is None else await repository.user_id_for_email(normalised)


async def register(runtime: Runtime, data: schemas.UserCreate, client_ip: str,
                   next_path: str = "") -> schemas.User:
    """A new, unverified account; its `verify_email` link (the only email sent) leads to
    `next_path` once followed (a local path the pages checked, "" for the home page)."""
    limits = _limits(runtime)
    if limits:
        _refuse_if_limited((limits.register_ip, client_ip))
        limits.register_ip.hit(client_ip)
    raise_if(rules.email_errors(data.email)
             + rules.profile_errors(display_name=data.display_name, timezone=data.timezone))
    now = runtime.clock.now()
    user_id = await create_user(data.email, data.password, data.display_name, now,
                                locale=data.locale, timezone=data.timezone)
    await _send_link(runtime, user_id, tokens.VERIFY_EMAIL, now, next_path=next_path)
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
    token = await issue_token_if_password_is(row["id"], runtime.clock.now(), row["password_hash"])
    if token is None:  # a reset or change committed while the password was checked
        raise InvalidCredentials()
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
        bio=row["bio"], skills=row["skills"], email_verified=row["email_verified_at"] is not None,
        phone=row["phone"], sms_opt_in=bool(row["sms_opt_in"]),
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
    if data.phone is not schemas.UNSET:
        changes["phone"] = phone_or_error(data.phone)
    if data.sms_opt_in is not schemas.UNSET:
        changes["sms_opt_in"] = data.sms_opt_in
    if changes:
        async with write_transaction():
            # an opt-in does not lift a STOP the number sent: typing a number in is no proof of
            # owning it; only a START from that number lifts it (notify.replies)
            await repository.update_active_user(user_id, changes)
    return await get_me(runtime, user_id)


def phone_or_error(text: str | None) -> str | None:
    """A typed number in E.164 (None and "" remove it); 400 naming `phone` if it is not a
    mobile number."""
    if text is None or not text.strip():
        return None
    e164 = normalise_phone(text)
    if e164 is None or not can_receive_texts(e164):
        raise invalid([FieldError("phone", "not a mobile phone number (e.g. 06 12 34 56 78 "
                                           "or +44 7911 123456)")])
    return e164


# --- email verification, password reset and change, logging out everywhere --------------------

def _bounds_on(runtime: Runtime) -> bool:
    return runtime.settings.rate_limits


async def _send_link(runtime: Runtime, user_id: int, purpose: str, now: dt.datetime, *,
                     next_path: str = "", bound: tuple[int, dt.timedelta] | None = None) -> int | None:
    """Store a one-time link (its hash) and write its email to the outbox, in one transaction.
    With `bound` (how many links of this purpose in what window), nothing is written once the
    user has that many: the answer is then the seconds until one more may be made."""
    nonce = tokens.new_nonce()
    digest = tokens.token_hash(tokens.token_of(runtime.settings.secret_key, purpose, nonce))
    event = (EmailVerificationRequested if purpose == tokens.VERIFY_EMAIL else PasswordResetRequested)(
        at=now, user_id=user_id, nonce=nonce)
    async with write_transaction():
        await repository.lock_user(user_id)  # the count and the insert, one user at a time
        if bound is not None and _bounds_on(runtime):
            limit, window = bound
            count, oldest = await repository.recent_one_time_tokens(user_id, purpose, now - window)
            if count >= limit:
                return max(1, math.ceil(((oldest or now) + window - now).total_seconds()))
        await repository.insert_one_time_token(user_id, purpose, digest, now,
                                               now + tokens.LIFETIMES[purpose], next_path[:500])
        await PiccoloTx(runtime.notifier).emit([event], now)
    return None


def require_verified(user: CurrentUser) -> None:
    """403 `email-not-verified` for an account whose address is not verified yet (booking,
    joining a waitlist and creating a workshop make the service write to that address)."""
    if not user.email_verified:
        raise EmailNotVerified("Confirm your email address first: follow the link we sent you, "
                               "or ask for a new one (POST /api/v1/auth/verify/resend).")


def _token_digest(token: str) -> str:
    if not token or len(token) > tokens.TOKEN_MAX or rules.has_nul(token):
        raise InvalidToken()
    return tokens.token_hash(token)


async def link_is_usable(runtime: Runtime, purpose: str, token: str) -> bool:
    """Whether a `verify_email` or `password_reset` link would work now (nothing is used up:
    the pages ask before showing their form)."""
    try:
        digest = _token_digest(token)
    except InvalidToken:
        return False
    return await repository.usable_one_time_token(digest, purpose, runtime.clock.now()) is not None


async def verify_email(runtime: Runtime, token: str) -> tuple[schemas.User, str]:
    """Use a `verify_email` link: the account's address counts as verified. Returns the user
    and the path the link was made for ("" for none). Unknown, used or expired → InvalidToken."""
    digest, now = _token_digest(token), runtime.clock.now()
    async with write_transaction():
        row = await repository.usable_one_time_token(digest, tokens.VERIFY_EMAIL, now)
        # this very link first (a concurrent use of it finds it used), then the account's others
        if row is None or not await repository.use_one_time_token(row["id"], now):
            raise InvalidToken()
        await repository.use_one_time_tokens(row["user_id"], tokens.VERIFY_EMAIL, now)
        await repository.mark_email_verified(row["user_id"], now)
    return await get_me(runtime, row["user_id"]), row["next_path"]


async def resend_verification(runtime: Runtime, user: CurrentUser, next_path: str = "") -> bool:
    """A new `verify_email` link; False (nothing sent) when the address is already verified.
    Over the bound → RateLimited with the wait."""
    if user.email_verified:
        return False
    wait = await _send_link(runtime, user.id, tokens.VERIFY_EMAIL, runtime.clock.now(),
                            next_path=next_path, bound=(VERIFY_LINKS_PER_DAY, VERIFY_LINKS_WINDOW))
    if wait is not None:
        raise RateLimited(f"Verification emails are limited to {VERIFY_LINKS_PER_DAY - 1} resends "
                          f"a day; try again in {wait} seconds.", retry_after=wait)
    return True


async def forgot_password(runtime: Runtime, email: str) -> None:
    """Send a `password_reset` link to the active account with this address, if any and if it
    has had fewer than 3 in the last hour. Says nothing either way: the caller answers the same
    (only an address that is not one is refused, 400)."""
    # a malformed address is a 400 naming `email` (it tells nothing about any account)
    user = await repository.active_user_by_email(valid_email(email))
    if user is not None:
        await _send_link(runtime, user["id"], tokens.PASSWORD_RESET, runtime.clock.now(),
                         bound=(RESET_LINKS_PER_HOUR, RESET_LINKS_WINDOW))


async def reset_password(runtime: Runtime, token: str, password: str) -> None:
    """Use a `password_reset` link: a new password, the address verified, every login of the
    account ended, its other reset links used up. All or nothing: a refused reset (a bad
    token, a password of the wrong length) changes nothing."""
    raise_if(rules.password_errors(password))
    digest, now = _token_digest(token), runtime.clock.now()
    if await repository.usable_one_time_token(digest, tokens.PASSWORD_RESET, now) is None:
        raise InvalidToken()  # before paying for a hash
    new_hash = await hash_password(password)
    async with write_transaction():
        row = await repository.usable_one_time_token(digest, tokens.PASSWORD_RESET, now)
        if row is None or not await repository.use_one_time_token(row["id"], now):
            raise InvalidToken()
        user_id = row["user_id"]
        await repository.use_one_time_tokens(user_id, tokens.PASSWORD_RESET, now)
        await repository.set_password_hash(user_id, new_hash)
        await repository.mark_email_verified(user_id, now)
        await repository.delete_tokens_of(user_id)


async def change_password(runtime: Runtime, user: CurrentUser, token: str, current_password: str,
                          new_password: str) -> None:
    """A new password for the signed-in user, who proves the current one; every other login
    of the account ends (the one used, `token`, stays) and open reset links are used up.
    Wrong current password → InvalidCredentials (10 per 15 minutes, then RateLimited)."""
    raise_if(rules.password_errors(new_password, "new_password"))
    limits = _limits(runtime)
    key = str(user.id)
    if limits:
        _refuse_if_limited((limits.password_change, key))
    if not await verify_password(await repository.password_hash_of(user.id), current_password):
        if limits:
            limits.password_change.hit(key)
        raise InvalidCredentials("The current password is not right.")
    new_hash = await hash_password(new_password)
    now = runtime.clock.now()
    async with write_transaction():
        await repository.set_password_hash(user.id, new_hash)
        await repository.delete_tokens_of_user_except(user.id, hash_token(token))
        await repository.use_one_time_tokens(user.id, tokens.PASSWORD_RESET, now)


async def logout_everywhere(user_id: int) -> None:
    """Every bearer token and session of the user ends, in every process at once."""
    await repository.delete_tokens_of(user_id)


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


async def count_communities() -> int:
    return await repository.count_communities()


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


async def find_communities_by_id(community_ids: Sequence[int]) -> dict[int, schemas.Community]:
    """These communities by id (unknown ids left out), in one query."""
    ids = sorted({i for i in community_ids if is_id(i)})
    return {row["id"]: schemas.Community(**row) for row in await repository.communities_by_id(ids)}


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


async def name_relay(slug: str, email: str) -> tuple[schemas.Relay, bool]:
    """Make the account with `email` a relay of the community; True when newly named (naming
    someone twice changes nothing)."""
    community = await get_community(slug)
    user = await repository.active_user_by_email(valid_email(email))
    if user is None:
        raise NotFound("No account with this email.")
    created = await repository.insert_relay(community.id, user["id"])
    return schemas.Relay(user_id=user["id"], display_name=user["display_name"], email=user["email"]), created


async def community_relays(community_id: int) -> schemas.RelayList:
    """The relays of a community who still have an account, by name."""
    items = [schemas.Relay(user_id=r["id"], display_name=r["display_name"], email=r["email"])
             for r in await repository.relays_of(community_id)]
    return schemas.RelayList(items=items, total=len(items))


async def remove_relay(community_id: int, user_id: int) -> None:
    """The user is no longer a relay of the community (the bookings they made stay)."""
    if not (is_id(community_id) and is_id(user_id) and await repository.delete_relay(community_id, user_id)):
        raise NotFound("This person is not a relay of this community.")


async def relay_communities(user_id: int) -> list[schemas.Community]:
    """The communities where the user is a relay, by name."""
    return [schemas.Community(**{**row, "moderation": bool(row["moderation"])})
            for row in await repository.relay_communities(user_id)]


async def remove_organizer(community_id: int, user_id: int) -> None:
    """The user no longer organizes the community (their account stays); NotFound if they did not."""
    if not (is_id(community_id) and is_id(user_id)
            and await repository.delete_organizer(community_id, user_id)):
        raise NotFound("This person is not an organizer of this community.")
