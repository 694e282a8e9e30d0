"""Every query on accounts' tables (`app_user`, `auth_token`, `one_time_token`, `community`,
`community_organizer`, `quota_event`): Piccolo queries as functions, raw statements as `Sql`.

Other packages never name these tables in their own SQL; where one of their queries must join
a user or a community for speed, it takes the fragments below (e.g. `PERSON_COLUMNS`):
- `PERSON_BY_ID`, `COMMUNITY_ORGANIZERS` and `person_columns` for notify's read model and the
  booking views (a participant, a host, the organizers to tell);
- `IS_ORGANIZER`, asked by the booking engine inside its serialised transaction;
- `ORGANIZED_COMMUNITIES`, a sub-select of the communities user ?1 organizes (the header's count
  of what waits for moderation, `workshops.repository.waiting_count`);
- `QUOTA_*`, the per-user quota statements `accounts.quotas` runs in the caller's transaction.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from accounts.tables import AuthToken, Community, OneTimeToken, Organizer, Relay, SmsOptOut, User
from kernel.sql import Sql, UniqueViolation, as_datetime, execute, fetch_all, fetch_one, fetch_value, unique_violations

PERSON_COLUMNS = "id, email, display_name, locale, timezone, deleted_at"
PERSON_BY_ID = Sql(f"SELECT {PERSON_COLUMNS} FROM app_user WHERE id = ?1")
# ?1 community id: its organizers who still have an account, by id
COMMUNITY_ORGANIZERS = Sql(
    "SELECT u.id, u.email, u.display_name, u.locale, u.timezone, u.deleted_at"
    ' FROM community_organizer o JOIN app_user u ON u.id = o."user"'
    ' WHERE o."community" = ?1 AND u.deleted_at IS NULL ORDER BY u.id'
)
# ?1 community id, ?2 user id (the booking engine asks inside its serialised transaction)
IS_ORGANIZER = Sql('SELECT 1 FROM community_organizer WHERE community = ?1 AND "user" = ?2')
# ?1 community id, ?2 user id: a relay of the community (the booking engine asks it inside its
# serialised transaction before booking for a guest)
IS_RELAY = Sql('SELECT 1 FROM community_relay WHERE community = ?1 AND "user" = ?2')
# a sub-select (text, not a statement): the ids of the communities user ?1 organizes
ORGANIZED_COMMUNITIES = 'SELECT o."community" FROM community_organizer o WHERE o."user" = ?1'


# ---- quotas (accounts.quotas): a user's recent actions, sought by (user_id, action, at)
# ?1 user, ?2 action, ?3 window start, ?4 offset: the (?4 + 1)-th most recent event in the window
QUOTA_NTH_RECENT = Sql("SELECT at FROM quota_event WHERE user_id = ?1 AND action = ?2 AND at > ?3 "
                       "ORDER BY at DESC LIMIT 1 OFFSET ?4")
QUOTA_RECORD = Sql("INSERT INTO quota_event (user_id, action, at) VALUES (?1, ?2, ?3)")
QUOTA_PURGE = Sql("DELETE FROM quota_event WHERE at <= ?1")
# PostgreSQL: one user's actions queue for each other until their transaction ends
QUOTA_LOCK = Sql("SELECT 1 FROM (SELECT pg_advisory_xact_lock(1364545364, ?1)) AS locked")


def person_columns(alias: str, prefix: str) -> str:
    """A user's person columns from table alias `alias`, named `{prefix}id`, `{prefix}email`, …"""
    return ", ".join(f"{alias}.{c} AS {prefix}{c}" for c in PERSON_COLUMNS.split(", "))


# ------------------------------------------------------------------------------------ users

_ACTIVE = User.deleted_at.is_null()


async def email_exists(email: str) -> bool:
    """Any account with this (already normalised) email, erased ones included."""
    return await User.exists().where(User.email == email)


async def insert_user(*, email: str, display_name: str, password_hash: str, locale: str,
                      timezone: str, is_admin: bool, calendar_token: str, created_at: dt.datetime,
                      bio: str = "", skills: Sequence[str] = (),
                      email_verified_at: dt.datetime | None = None) -> int:
    user = User(email=email, display_name=display_name, password_hash=password_hash,
                locale=locale, timezone=timezone, bio=bio, skills=list(skills), is_admin=is_admin,
                calendar_token=calendar_token, created_at=created_at, email_verified_at=email_verified_at)
    with unique_violations():  # the email (or calendar token) is taken
        await User.insert(user)
    return user.id


async def user_id_for_email(email: str) -> int | None:
    row = await User.select(User.id).where(User.email == email).first()
    return row["id"] if row else None


async def login_row(email: str) -> dict[str, Any] | None:
    """`id` and `password_hash` of the active account with this email."""
    return await (User.select(User.id, User.password_hash)
                  .where((User.email == email) & _ACTIVE).first())


# the hot reads are raw statements: one round trip and no query building per request
_ME = Sql("SELECT id, email, display_name, locale, timezone, is_admin, calendar_token, bio, skills,"
          " email_verified_at, phone, sms_opt_in"
          " FROM app_user WHERE id = ?1 AND deleted_at IS NULL")


async def me_row(user_id: int) -> dict[str, Any] | None:
    row = await fetch_one(_ME, user_id)
    if row is None:
        return None
    skills = row["skills"]
    return {**dict(row), "skills": json.loads(skills) if isinstance(skills, str) else skills}


async def public_profile_row(user_id: int) -> dict[str, Any] | None:
    return await (
        User.select(User.id, User.display_name, User.bio, User.skills, User.locale, User.timezone)
        .where((User.id == user_id) & _ACTIVE).output(load_json=True).first()
    )


async def export_profile_row(user_id: int) -> dict[str, Any] | None:
    return await (
        User.select(User.id, User.email, User.display_name, User.locale, User.timezone, User.bio,
                    User.skills, User.is_admin, User.calendar_token, User.created_at,
                    User.phone, User.sms_opt_in)
        .where((User.id == user_id) & _ACTIVE).output(load_json=True).first()
    )


async def active_user_by_email(email: str) -> dict[str, Any] | None:
    """`id`, `email` and `display_name` of the active account with this email."""
    return await (User.select(User.id, User.email, User.display_name)
                  .where((User.email == email) & _ACTIVE).first())


async def update_active_user(user_id: int, changes: Mapping[str, Any]) -> None:
    """Set the named columns (`display_name`, `bio`, …) of an active account."""
    await User.update(dict(changes)).where((User.id == user_id) & _ACTIVE)  # keys: column names


async def user_id_for_calendar_token(token: str) -> int | None:
    row = await User.select(User.id).where((User.calendar_token == token) & _ACTIVE).first()
    return row["id"] if row else None


async def set_calendar_token(user_id: int, token: str) -> None:
    await User.update({User.calendar_token: token}).where(User.id == user_id)


async def promote_to_admin(email: str) -> bool:
    """Make the active account with this email an admin (its address counts as verified);
    False when there is none."""
    rows = await (User.update({User.is_admin: True,
                               User.email_verified_at: User.created_at})
                  .where((User.email == email) & _ACTIVE).returning(User.id))
    return bool(rows)


async def erase_user(user_id: int, *, email: str, display_name: str, now: dt.datetime) -> None:
    """Overwrite a user's personal data (the row stays for what refers to it)."""
    await User.update({
        User.email: email, User.display_name: display_name, User.password_hash: "", User.bio: "",
        User.skills: [], User.calendar_token: None, User.is_admin: False, User.deleted_at: now,
        User.phone: None, User.sms_opt_in: False,
    }).where(User.id == user_id)


# ----------------------------------------------------------------------------------- tokens

async def insert_token(user_id: int, token_hash: str, created_at: dt.datetime,
                       expires_at: dt.datetime) -> None:
    await AuthToken.insert(AuthToken(user=user_id, token_hash=token_hash, created_at=created_at,
                                     expires_at=expires_at))


# A login's session, written only if the password it was checked against is still the account's:
# a reset or change that commits while argon2 runs leaves no session behind it. On PostgreSQL
# the user row is share-locked, so a reset in flight is waited for and its new hash seen.
_INSERT_TOKEN_IF_PASSWORD = Sql.of(
    'INSERT INTO auth_token ("user", token_hash, created_at, expires_at)'
    " SELECT id, ?2, ?3, ?4 FROM app_user WHERE id = ?1 AND password_hash = ?5 AND deleted_at IS NULL"
    " RETURNING id",
    'INSERT INTO auth_token ("user", token_hash, created_at, expires_at)'
    " SELECT id, $2, $3, $4 FROM app_user WHERE id = $1 AND password_hash = $5 AND deleted_at IS NULL"
    " FOR SHARE RETURNING id")


async def insert_token_if_password(user_id: int, token_hash: str, created_at: dt.datetime,
                                   expires_at: dt.datetime, password_hash: str) -> bool:
    """`insert_token`, unless the account's password is no longer `password_hash` (or it is gone)."""
    return bool(await fetch_all(_INSERT_TOKEN_IF_PASSWORD, user_id, token_hash, created_at, expires_at,
                                password_hash))


async def delete_token(token_hash: str) -> None:
    await AuthToken.delete().where(AuthToken.token_hash == token_hash)


async def delete_tokens_of(user_id: int) -> None:
    await AuthToken.delete().where(AuthToken.user == user_id)


# one seek in the unique index on token_hash, joined to the user by primary key
_TOKEN_WITH_USER = Sql(
    'SELECT t.expires_at, u.id AS "user.id", u.email AS "user.email", u.display_name AS "user.display_name",'
    ' u.locale AS "user.locale", u.timezone AS "user.timezone", u.is_admin AS "user.is_admin",'
    ' u.deleted_at AS "user.deleted_at", u.email_verified_at AS "user.email_verified_at"'
    ' FROM auth_token t JOIN app_user u ON u.id = t."user"'
    " WHERE t.token_hash = ?1"
)


async def token_with_user(token_hash: str) -> Any:
    """The token's `expires_at` with its user's `user.id`, `user.email`, `user.display_name`,
    `user.locale`, `user.timezone`, `user.is_admin` and `user.deleted_at`."""
    return await fetch_one(_TOKEN_WITH_USER, token_hash)


async def login_sessions(user_id: int) -> list[dict[str, Any]]:
    """`created_at` and `expires_at` of the user's tokens, oldest first."""
    return await (AuthToken.select(AuthToken.created_at, AuthToken.expires_at)
                  .where(AuthToken.user == user_id).order_by(AuthToken.created_at))


async def delete_tokens_of_user_except(user_id: int, token_hash: str) -> None:
    """Every login of the user but the one with this hash (a password change)."""
    await AuthToken.delete().where((AuthToken.user == user_id) & (AuthToken.token_hash != token_hash))


# ------------------------------------------------- verification and password: one-time tokens

_LOCK_USER = Sql("SELECT id FROM app_user WHERE id = ?1", pg_suffix=" FOR UPDATE")
_INSERT_ONE_TIME = Sql(
    'INSERT INTO one_time_token ("user", purpose, token_hash, created_at, expires_at, next_path)'
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
# ?1 user, ?2 purpose, ?3 since: how many links were made, and the oldest of them
_RECENT_ONE_TIME = Sql(
    'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM one_time_token'
    ' WHERE "user" = ?1 AND purpose = ?2 AND created_at > ?3')
# ?1 hash, ?2 purpose, ?3 now: an unused, unexpired link of an active account
_USABLE_ONE_TIME = Sql(
    'SELECT t.id, t."user" AS user_id, t.next_path FROM one_time_token t JOIN app_user u ON u.id = t."user"'
    " WHERE t.token_hash = ?1 AND t.purpose = ?2 AND t.used_at IS NULL AND t.expires_at > ?3"
    " AND u.deleted_at IS NULL")
# ?1 user, ?2 purpose, ?3 now: every open link of that purpose is used up (single use; the
# RETURNING says whether this call, and not a concurrent one, used them)
_USE_ONE_TIME = Sql(
    'UPDATE one_time_token SET used_at = ?3 WHERE "user" = ?1 AND purpose = ?2 AND used_at IS NULL'
    " RETURNING id")
# ?1 the link's own id, ?2 now: this very link used up, if no one used it first
_USE_THIS_ONE_TIME = Sql("UPDATE one_time_token SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL RETURNING id")
_MARK_VERIFIED = Sql("UPDATE app_user SET email_verified_at = ?2"
                     " WHERE id = ?1 AND email_verified_at IS NULL RETURNING id")
_SET_PASSWORD = Sql("UPDATE app_user SET password_hash = ?2 WHERE id = ?1 AND deleted_at IS NULL RETURNING id")
_PASSWORD_OF = Sql("SELECT password_hash FROM app_user WHERE id = ?1 AND deleted_at IS NULL")


async def delete_one_time_tokens_of(user_id: int) -> None:
    """Erasure: the account's verification and reset links (their hashes) go too."""
    await OneTimeToken.delete().where(OneTimeToken.user == user_id)


async def lock_user(user_id: int) -> None:
    """Serialise writers about one user (PostgreSQL: a row lock; SQLite's BEGIN IMMEDIATE
    already serialises every writer)."""
    await fetch_one(_LOCK_USER, user_id)


async def insert_one_time_token(user_id: int, purpose: str, token_hash: str, created_at: dt.datetime,
                                expires_at: dt.datetime, next_path: str = "") -> None:
    await execute(_INSERT_ONE_TIME, user_id, purpose, token_hash, created_at, expires_at, next_path)


async def recent_one_time_tokens(user_id: int, purpose: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many links of this purpose the user was sent after `since`, and when the oldest was."""
    row = await fetch_one(_RECENT_ONE_TIME, user_id, purpose, since)
    return int(row["n"] or 0), as_datetime(row["oldest"])


async def usable_one_time_token(token_hash: str, purpose: str, now: dt.datetime) -> dict[str, Any] | None:
    """`id`, `user_id` and `next_path` of an unused, unexpired link of an active account."""
    row = await fetch_one(_USABLE_ONE_TIME, token_hash, purpose, now)
    return dict(row) if row else None


async def use_one_time_token(token_id: int, now: dt.datetime) -> bool:
    """Use up this link; False when a concurrent use came first (single use, whatever else the
    account's other links do)."""
    return bool(await execute(_USE_THIS_ONE_TIME, token_id, now))


async def use_one_time_tokens(user_id: int, purpose: str, now: dt.datetime) -> int:
    """Mark every open link of this purpose used; how many were open."""
    return await execute(_USE_ONE_TIME, user_id, purpose, now)


async def mark_email_verified(user_id: int, now: dt.datetime) -> None:
    await execute(_MARK_VERIFIED, user_id, now)


async def set_password_hash(user_id: int, password_hash: str) -> bool:
    return bool(await execute(_SET_PASSWORD, user_id, password_hash))


async def password_hash_of(user_id: int) -> str | None:
    return await fetch_value(_PASSWORD_OF, user_id)


# ----------------------------------------------------------------- communities and organizers

_COMMUNITY_COLUMNS = (Community.id, Community.slug, Community.name, Community.timezone,
                      Community.locale, Community.lat, Community.lon, Community.moderation)


async def community_slug_exists(slug: str) -> bool:
    return await Community.exists().where(Community.slug == slug)


async def insert_community(*, slug: str, name: str, timezone: str, locale: str, lat: float | None,
                           lon: float | None, moderation: bool) -> None:
    with unique_violations():  # the slug is taken
        await Community.insert(Community(slug=slug, name=name, timezone=timezone, locale=locale,
                                         lat=lat, lon=lon, moderation=moderation))


_COMMUNITY_SQL_COLUMNS = "id, slug, name, timezone, locale, lat, lon, moderation"
_COMMUNITY_PAGE = Sql(f"SELECT {_COMMUNITY_SQL_COLUMNS} FROM community ORDER BY name, id LIMIT ?1 OFFSET ?2")
_COUNT_COMMUNITIES = Sql("SELECT COUNT(*) AS n FROM community")
_COMMUNITY_BY_SLUG = Sql(f"SELECT {_COMMUNITY_SQL_COLUMNS} FROM community WHERE slug = ?1")


async def community_rows(limit: int, offset: int) -> list[dict[str, Any]]:
    """A page of communities by name (then id), with the columns of `schemas.Community`."""
    return [dict(row) for row in await fetch_all(_COMMUNITY_PAGE, limit, offset)]


async def count_communities() -> int:
    return int(await fetch_value(_COUNT_COMMUNITIES))


async def community_by_slug(slug: str) -> dict[str, Any] | None:
    row = await fetch_one(_COMMUNITY_BY_SLUG, slug)
    return dict(row) if row else None


async def communities_by_id(community_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The communities with these (distinct) ids, in one statement."""
    if not community_ids:
        return []
    statement = Sql(f"SELECT {_COMMUNITY_SQL_COLUMNS} FROM community"
                    f" WHERE id IN ({', '.join(f'?{i}' for i in range(1, len(community_ids) + 1))})")
    return [dict(row) for row in await fetch_all(statement, *community_ids)]


async def community_by_id(community_id: int) -> dict[str, Any] | None:
    return await Community.select(*_COMMUNITY_COLUMNS).where(Community.id == community_id).first()


_ORGANIZER_SLUGS = Sql('SELECT c.slug FROM community_organizer o JOIN community c ON c.id = o."community"'
                       ' WHERE o."user" = ?1 ORDER BY c.slug')


async def organizer_slugs(user_id: int) -> list[str]:
    """The slugs of the communities the user organizes, in order."""
    return [r["slug"] for r in await fetch_all(_ORGANIZER_SLUGS, user_id)]


async def organizer_community_ids(user_id: int) -> set[int]:
    rows = await Organizer.select(Organizer.community).where(Organizer.user == user_id)
    return {r["community"] for r in rows}


async def organizer_pair_exists(pair: str) -> bool:
    return await Organizer.exists().where(Organizer.pair == pair)


async def insert_organizer(community_id: int, user_id: int, pair: str) -> None:
    with unique_violations():  # the pair is already named
        await Organizer.insert(Organizer(community=community_id, user=user_id, pair=pair))


async def delete_organizer_rows_of(user_id: int) -> None:
    await Organizer.delete().where(Organizer.user == user_id)


async def rename_community(community_id: int, name: str) -> bool:
    """False when no such community."""
    changed = await Community.update({Community.name: name}).where(
        Community.id == community_id).returning(Community.id)
    return bool(changed)


async def update_community(community_id: int, changes: dict[str, Any]) -> bool:
    """Set the given columns (names of `schemas.CommunityUpdate`); False when no such community."""
    changed = await Community.update(changes).where(Community.id == community_id).returning(Community.id)
    return bool(changed)


async def organizers_of(community_id: int) -> list[Any]:
    """The community's organizers who still have an account, by id (`COMMUNITY_ORGANIZERS`)."""
    return await fetch_all(COMMUNITY_ORGANIZERS, community_id)


async def delete_organizer(community_id: int, user_id: int) -> bool:
    """False when the user was not an organizer of the community."""
    removed = await Organizer.delete().where(
        (Organizer.community == community_id) & (Organizer.user == user_id)).returning(Organizer.id)
    return bool(removed)


# ------------------------------------------------------------------------------ text messages

# ?1 a number (E.164): the active account that wants texts there, if any (the newest)
TEXTS_WANTED_AT = Sql(
    "SELECT id, locale FROM app_user WHERE phone = ?1 AND sms_opt_in AND deleted_at IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM sms_opt_out o WHERE o.phone = ?1) ORDER BY id DESC LIMIT 1")
# ?1 a number: whether it answered STOP (the outbox asks before each text it sends)
OPTED_OUT = Sql("SELECT 1 FROM sms_opt_out WHERE phone = ?1")
# ?1 user id: the number a user's texts go to, if they want texts (notify's read model)
USER_TEXT_PHONE = Sql(
    "SELECT u.phone FROM app_user u WHERE u.id = ?1 AND u.sms_opt_in AND u.phone IS NOT NULL"
    " AND u.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM sms_opt_out o WHERE o.phone = u.phone)")
_OPT_OUT = Sql.of(
    "INSERT INTO sms_opt_out (phone, opted_out_at) VALUES (?1, ?2) ON CONFLICT (phone) DO NOTHING",
    "INSERT INTO sms_opt_out (phone, opted_out_at) VALUES ($1, $2) ON CONFLICT (phone) DO NOTHING")
_STOP_USERS = Sql("UPDATE app_user SET sms_opt_in = ?2 WHERE phone = ?1 AND sms_opt_in")


async def opt_out_phone(phone: str, now: dt.datetime) -> None:
    """STOP from `phone`: no text goes there any more, whoever it is (in the caller's
    transaction)."""
    await execute(_OPT_OUT, phone, now)
    await execute(_STOP_USERS, phone, False)


async def forget_opt_out(phone: str) -> None:
    """An account holding `phone` opted in again: its texts may go there."""
    await SmsOptOut.delete().where(SmsOptOut.phone == phone)


async def is_opted_out(phone: str) -> bool:
    return await fetch_one(OPTED_OUT, phone) is not None


async def user_language_at(phone: str) -> str | None:
    """The locale of an account with this number (a reply's language), if any."""
    row = await User.select(User.locale).where((User.phone == phone) & _ACTIVE).first()
    return row["locale"] if row else None


# ----------------------------------------------------------------------------------- relays

# ?1 community id: its relays who still have an account, by name
COMMUNITY_RELAYS = Sql(
    "SELECT u.id, u.email, u.display_name FROM community_relay r JOIN app_user u ON u.id = r.\"user\""
    ' WHERE r."community" = ?1 AND u.deleted_at IS NULL ORDER BY u.display_name, u.id'
)
# ?1 user id: the communities where the user is a relay, by name
_RELAY_COMMUNITIES = Sql(
    "SELECT c.id, c.slug, c.name, c.timezone, c.locale, c.lat, c.lon, c.moderation FROM community_relay r"
    ' JOIN community c ON c.id = r."community" WHERE r."user" = ?1 ORDER BY c.name, c.id'
)


async def relays_of(community_id: int) -> list[Any]:
    return await fetch_all(COMMUNITY_RELAYS, community_id)


async def relay_communities(user_id: int) -> list[Any]:
    return await fetch_all(_RELAY_COMMUNITIES, user_id)


async def insert_relay(community_id: int, user_id: int) -> bool:
    """False when the pair was already named (one row per pair, enforced by the database)."""
    pair = f"{community_id}:{user_id}"
    if await Relay.exists().where(Relay.pair == pair):
        return False
    try:
        with unique_violations():
            await Relay.insert(Relay(community=community_id, user=user_id, pair=pair))
    except UniqueViolation:  # named concurrently
        if await Relay.exists().where(Relay.pair == pair):
            return False
        raise
    return True


async def delete_relay(community_id: int, user_id: int) -> bool:
    """False when the user was not a relay of the community."""
    removed = await Relay.delete().where(
        (Relay.community == community_id) & (Relay.user == user_id)).returning(Relay.id)
    return bool(removed)


async def delete_relay_rows_of(user_id: int) -> None:
    await Relay.delete().where(Relay.user == user_id)
