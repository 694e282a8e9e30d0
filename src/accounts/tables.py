"""Accounts and communities tables."""
from piccolo.columns import (
    JSON, Boolean, Float, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="app_user"):
    email = Varchar(length=320, unique=True, index=True)  # stored lowercased; NULL-free sentinel once erased
    display_name = Varchar(length=120)
    password_hash = Text(default="")
    locale = Varchar(length=5, default="en")
    timezone = Varchar(length=64, default="UTC")
    bio = Text(default="")
    skills = JSON(default=[])
    is_admin = Boolean(default=False)
    calendar_token = Varchar(length=64, unique=True, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)
    # when the owner proved the address (a `verify_email` link, a password reset); NULL: not
    # yet, and booking, joining a waitlist and creating a workshop are refused until then
    email_verified_at = Timestamptz(null=True, default=None)
    # a mobile number in E.164 (kernel.phones), NULL: none given; texts go to it only while
    # `sms_opt_in` holds (a STOP reply clears it)
    phone = Varchar(length=16, null=True, default=None, index=True)
    sms_opt_in = Boolean(default=False)


class AuthToken(Table, tablename="auth_token"):
    """Bearer and cookie sessions; only a SHA-256 of the token is stored."""

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class OneTimeToken(Table, tablename="one_time_token"):
    """The links of `verify_email` (48 h) and `password_reset` (1 h): single use, and only a
    SHA-256 of each token is stored (the token itself is derived from `nonce` with the secret
    key when the email is rendered: see accounts.tokens)."""

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=16)  # verify_email | password_reset
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    # where a verified neighbour goes next (a safe local path, "" for the home page)
    next_path = Varchar(length=500, default="")


class Community(Table, tablename="community"):
    slug = Varchar(length=64, unique=True, index=True)
    name = Varchar(length=200)
    timezone = Varchar(length=64, default="UTC")
    locale = Varchar(length=5, default="en")
    lat = Float(null=True, default=None)
    lon = Float(null=True, default=None)
    moderation = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Organizer(Table, tablename="community_organizer"):
    community = ForeignKey(Community, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    # "community_id:user_id": one row per pair, enforced by the database
    pair = Varchar(length=40, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Relay(Table, tablename="community_relay"):
    """A person who may book for neighbours without an account in this community (a library
    desk, a social worker, a postal worker), named by its organizers."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    # "community_id:user_id": one row per pair, enforced by the database
    pair = Varchar(length=40, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class QuotaEvent(Table, tablename="quota_event"):
    """One action of a user that makes the service write to other people (a booking, a session
    change…), kept for the longest quota window: `accounts.quotas` counts a user's recent ones.
    No foreign key and no single-column index: a booking pays for one composite index only
    (`quota_event_user_action_at`, raw in the migration)."""

    user_id = Integer()
    action = Varchar(length=24)
    at = Timestamptz()


class SmsOptOut(Table, tablename="sms_opt_out"):
    """Numbers that answered STOP: no text goes to them (a guest's number included) until
    an account holding the number opts in again."""

    phone = Varchar(length=16, unique=True)
    opted_out_at = Timestamptz(default=TimestamptzNow())
