"""Request and response bodies of the accounts API (msgspec Structs)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from accounts import rules

Locale = Literal["en", "fr"]
Email = Annotated[str, Meta(min_length=3, max_length=rules.EMAIL_MAX, examples=["ada@example.org"],
                            description="One email address, `name@domain.tld` (no display name, "
                                        "angle brackets or list); case-insensitive")]
Timezone = Annotated[str, Meta(min_length=1, max_length=64, examples=["Europe/Paris"],
                               description="An IANA timezone name")]
DisplayName = Annotated[str, Meta(min_length=1, max_length=rules.DISPLAY_NAME_MAX)]
Password = Annotated[str, Meta(min_length=rules.PASSWORD_MIN, max_length=rules.PASSWORD_MAX)]
Bio = Annotated[str, Meta(max_length=rules.BIO_MAX)]
Skills = Annotated[
    list[Annotated[str, Meta(min_length=1, max_length=rules.SKILL_MAX)]],
    Meta(max_length=rules.SKILLS_MAX),
]
Slug = Annotated[str, Meta(pattern=rules.SLUG_PATTERN, examples=["belleville"])]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]




# --- users ---------------------------------------------------------------------------------

class User(Struct):
    id: int
    email: str
    display_name: str
    locale: str
    timezone: str
    is_admin: bool
    organizer_of: list[str]
    calendar_url: str | None
    bio: str
    skills: list[str]
    email_verified: bool
    phone: str | None = None  # E.164
    sms_opt_in: bool = False


class UserCreate(Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    display_name: DisplayName
    locale: Locale = "en"
    timezone: Timezone = "UTC"


class UserUpdate(Struct, forbid_unknown_fields=True):
    display_name: DisplayName | UnsetType = UNSET
    locale: Locale | UnsetType = UNSET
    timezone: Timezone | UnsetType = UNSET
    bio: Bio | UnsetType = UNSET
    skills: Skills | UnsetType = UNSET
    phone: Annotated[str, Meta(max_length=64, examples=["06 12 34 56 78"],
                               description="A mobile number; without `+` it is read as French. "
                                           "Stored in E.164; null removes it")] | None | UnsetType = UNSET
    sms_opt_in: bool | UnsetType = UNSET


class Credentials(Struct):
    email: Annotated[str, Meta(max_length=320)]
    password: Annotated[str, Meta(max_length=rules.PASSWORD_MAX)]


Token = Annotated[str, Meta(min_length=1, max_length=200,
                            description="The token of a `verify_email` or `password_reset` link")]


class VerifyEmail(Struct, forbid_unknown_fields=True):
    token: Token


class ForgotPassword(Struct, forbid_unknown_fields=True):
    email: Annotated[str, Meta(max_length=320)]


class ResetPassword(Struct, forbid_unknown_fields=True):
    token: Token
    password: Password


class ChangePassword(Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, Meta(max_length=rules.PASSWORD_MAX)]
    new_password: Password


class Accepted(Struct):
    """A request taken in; what it leads to is said in `detail`."""

    detail: str


class Login(Struct):
    """A fresh bearer token (also set as the session cookie) and who it belongs to."""

    token: str
    user: User


# --- communities ---------------------------------------------------------------------------

class Community(Struct):
    id: int
    slug: str
    name: str
    timezone: str
    locale: str
    lat: float | None
    lon: float | None
    moderation: bool


class CommunityCreate(Struct, forbid_unknown_fields=True):
    slug: Slug
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    timezone: Timezone
    locale: Locale = "en"
    lat: Latitude | None = None
    lon: Longitude | None = None
    moderation: bool = True


class CommunityUpdate(Struct, forbid_unknown_fields=True):
    """What an admin may change of a community; its slug (in links and feeds) stays."""
    name: Annotated[str, Meta(min_length=1, max_length=200)] | UnsetType = UNSET
    timezone: Timezone | UnsetType = UNSET
    locale: Locale | UnsetType = UNSET
    lat: Latitude | None | UnsetType = UNSET
    lon: Longitude | None | UnsetType = UNSET
    moderation: bool | UnsetType = UNSET


class CommunityPage(Struct):
    items: list[Community]
    total: int


class OrganizerCreate(Struct, forbid_unknown_fields=True):
    email: Email


class RelayCreate(Struct, forbid_unknown_fields=True):
    email: Email


class Relay(Struct):
    """A relay of a community: may book for neighbours without an account there."""

    user_id: int
    display_name: str
    email: str


class RelayList(Struct):
    items: list[Relay]
    total: int


class Organizer(Struct):
    community: str
    user_id: int
    email: str
    display_name: str


# --- export (privacy) ------------------------------------------------------------------------

class ExportProfile(Struct):
    id: int
    email: str
    display_name: str
    locale: str
    timezone: str
    bio: str
    skills: list[str]
    is_admin: bool
    calendar_url: str | None
    created_at: dt.datetime
    phone: str | None = None
    sms_opt_in: bool = False


class ExportSession(Struct):
    """A login session (the token itself is never stored, only when it was issued)."""

    created_at: dt.datetime
    expires_at: dt.datetime


class ExportWorkshop(Struct):
    id: int
    community: str
    title: str
    summary: str
    status: str
    created_at: dt.datetime


class ExportRecipe(Struct):
    """A recipe the user published (it stays after erasure, attributed to a former member)."""

    id: int
    workshop_id: int
    title: str
    summary: str
    category: str
    materials: list[str]
    steps: list[str]
    duration_minutes: int
    group_size: int | None
    cost_note: str
    licence: str
    copied_from: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ExportBooking(Struct):
    id: int
    session_id: int
    workshop_id: int
    workshop_title: str
    starts_at: dt.datetime
    seats: int
    status: str
    attendance: str
    amount_cents: int
    currency: str
    late_cancellation: bool
    refunded_cents: int
    created_at: dt.datetime
    cancelled_at: dt.datetime | None


class ExportWaitlistEntry(Struct):
    id: int
    session_id: int
    workshop_title: str
    seats: int
    status: str
    offer_expires_at: dt.datetime | None
    created_at: dt.datetime


class ExportFeedback(Struct):
    booking_id: int
    workshop_title: str
    rating: int
    comment: str
    created_at: dt.datetime


class ExportRefund(Struct):
    id: int
    booking_id: int
    amount_cents: int
    currency: str
    reason: str
    status: str
    created_at: dt.datetime


class ExportEmail(Struct):
    kind: str
    subject: str | None
    status: str
    created_at: dt.datetime


class Export(Struct):
    """Everything Alvéole holds about one user."""

    exported_at: dt.datetime
    profile: ExportProfile
    organizer_of: list[str]
    sessions: list[ExportSession]
    workshops_hosted: list[ExportWorkshop]
    bookings: list[ExportBooking]
    waitlist_entries: list[ExportWaitlistEntry]
    refunds: list[ExportRefund]
    feedback: list[ExportFeedback]
    emails: list[ExportEmail]
    recipes: list[ExportRecipe] = msgspec.field(default_factory=list)
