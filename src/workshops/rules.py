"""Pure decisions about workshops and sessions: field rules, lifecycle, times and RRULEs, geography.

No I/O and no await here; the service feeds these functions values and turns their verdicts
into queries. Validation failures name the field (or query parameter) at fault.
"""
from __future__ import annotations

import datetime as dt
import secrets
import functools
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accounts.rules import is_valid_timezone
from kernel.ids import MAX_ID
from kernel.errors import InvalidState, ValidationFailed
from workshops import recurrence
from workshops.enums import Licence, Payment, WaitlistMode, WorkshopStatus

UTC = dt.timezone.utc

TITLE_MAX = 200
SUMMARY_MAX = 500
DESCRIPTION_MAX = 20_000
CATEGORY_MAX = 40
# The categories offered in the forms and the home filter: stable keys, stored as the
# workshop's `category` and shown translated (web.kit.CATEGORY_LABELS); any other text up to
# CATEGORY_MAX is the host's own words ("Other"), stored and shown as typed.
CATEGORY_KEYS = ("cooking", "repair", "gardening", "digital", "crafts", "languages", "music", "wellbeing")
OTHER_CATEGORY = "other"
TAG_MAX = 40
TAGS_MAX = 20
VENUE_NAME_MAX = 200
VENUE_ADDRESS_MAX = 500
URL_MAX = 500
CAPACITY_MAX = 10_000
SEATS_PER_BOOKING_MAX = 100
PRICE_MAX_CENTS = 10_000_000
OFFER_TTL_MAX_MINUTES = 7 * 24 * 60
DEADLINE_MAX_HOURS = 366 * 24
REASON_MAX = 1000
RRULE_MAX = 500
MAX_OCCURRENCES = 52
SESSION_MAX_DURATION = dt.timedelta(days=7)
SESSION_MAX_AHEAD = dt.timedelta(days=10 * 366)
RADIUS_DEFAULT_KM = 10.0
RADIUS_MAX_KM = 1000.0
EARTH_RADIUS_KM = 6371.0088
# ids are 32-bit serials on PostgreSQL: a bigger number can name nothing (and must not reach asyncpg)

PAYMENTS = tuple(Payment)
WAITLIST_MODES = tuple(WaitlistMode)
STATUSES = tuple(WorkshopStatus)
# what anyone may read; the other statuses are for the host and the community's organizers
PUBLIC_STATUSES = frozenset({
    WorkshopStatus.published, WorkshopStatus.cancelled, WorkshopStatus.archived})
# the host can no longer change these
CLOSED_STATUSES = frozenset({WorkshopStatus.cancelled, WorkshopStatus.archived})

_ONE_OF_PAYMENTS = "one of: " + ", ".join(PAYMENTS)  # one of: free, on_site, stripe

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


# ------------------------------------------------------------------------------------ problems

@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str
    # a stable code for the refusals a form explains in its own words (`REASONS`); the message
    # is for API clients and may be reworded
    reason: str | None = None


# the reasons a field problem may carry (`errors[].reason`)
PAST, TOO_FAR, INTERVAL, TOO_MANY, BEYOND_HORIZON = "past", "too-far", "interval", "too-many", "beyond-horizon"


def validation_error(problems: Iterable[FieldProblem]) -> ValidationFailed:
    """One 400 `validation-error` listing every problem as `errors: [{field, message}]`, with
    `reason` where the problem has one."""
    items = list(problems)
    detail = "; ".join(f"{p.field}: {p.message}" for p in items)
    return ValidationFailed(detail, errors=[{"field": p.field, "message": p.message,
                                             **({"reason": p.reason} if p.reason else {})} for p in items])


def invalid(field: str, message: str, reason: str | None = None) -> ValidationFailed:
    return validation_error([FieldProblem(field, message, reason)])


def raise_problems(problems: list[FieldProblem]) -> None:
    if problems:
        raise validation_error(problems)


# ------------------------------------------------------------------------------ workshop fields

@dataclass(frozen=True)
class VenueFields:
    name: str
    address: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class WorkshopFields:
    """Everything a host decides about a workshop (the whole state, after a partial update too)."""

    title: str
    summary: str
    category: str
    capacity: int
    payment: str = Payment.free
    description: str = ""
    tags: tuple[str, ...] = ()
    language: str = "en"
    venue: VenueFields | None = None
    online_url: str | None = None
    price_cents: int = 0
    currency: str = "eur"
    max_seats_per_booking: int = 4
    waitlist_enabled: bool = True
    waitlist_mode: str = WaitlistMode.auto
    offer_ttl_minutes: int = 60
    cancellation_deadline_hours: int = 24


@functools.cache
def known_currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(code.lower() for code in list_currencies())


def normalise_currency(code: str) -> str | None:
    """ISO 4217 code in any case → lowercase, or None when it is not a currency."""
    if not isinstance(code, str) or not _CURRENCY.match(code):
        return None
    lowered = code.lower()
    return lowered if lowered in known_currencies() else None


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


def has_nul(text: str | None) -> bool:
    """PostgreSQL text cannot hold NUL characters: refuse them as bad input, not a 500."""
    return text is not None and "\x00" in text


# explicit embeddings, overrides and isolates: they reorder what readers see (U+202A–E, U+2066–9)
_BIDI_CONTROLS = frozenset(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
_LINE_BREAKS = frozenset("\n\r")
# letters that render as nothing (Hangul fillers, braille blank), beside the formats, marks and spaces
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def forbidden_characters(text: str, *, multiline: bool = False) -> str | None:
    """What in `text` may not be shown as typed, in words, or None: control characters (C0 and
    C1, DEL, line and paragraph separators; line breaks and tabs are fine where `multiline`) and
    bidirectional overrides, which can disguise a title or a link."""
    for char in text:
        if multiline and (char in _LINE_BREAKS or char == "\t"):
            continue
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F or char in "\u2028\u2029":
            return "control characters (line breaks, tabs and the like)" if not multiline \
                else "control characters other than line breaks and tabs"
        if char in _BIDI_CONTROLS:
            return "bidirectional override characters"
    return None


def is_blank(text: str) -> bool:
    """Nothing a reader would see: spaces, zero-width and other format characters, lone marks."""
    return all(char.isspace() or char in _BLANK_LETTERS
               or unicodedata.category(char) in ("Cf", "Cc", "Mn", "Me", "Zs", "Zl", "Zp")
               for char in text)


def _text_problems(field: str, value: str, maximum: int, *, required: bool,
                   multiline: bool = False) -> list[FieldProblem]:
    if has_nul(value):
        return [FieldProblem(field, "must not contain NUL characters")]
    if (found := forbidden_characters(value, multiline=multiline)) is not None:
        return [FieldProblem(field, f"must not contain {found}")]
    if required and is_blank(value):
        return [FieldProblem(field, "must not be empty")]
    if len(value) > maximum:
        return [FieldProblem(field, f"at most {maximum} characters")]
    return []


def _range_problem(field: str, value: int, low: int, high: int) -> list[FieldProblem]:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return [FieldProblem(field, f"must be an integer from {low} to {high}")]
    return []


def check_workshop(fields: WorkshopFields) -> list[FieldProblem]:
    """Every rule a workshop must satisfy, as a list of problems (empty: valid)."""
    problems: list[FieldProblem] = []
    problems += _text_problems("title", fields.title, TITLE_MAX, required=True)
    problems += _text_problems("summary", fields.summary, SUMMARY_MAX, required=True)
    problems += _text_problems("description", fields.description, DESCRIPTION_MAX, required=False,
                               multiline=True)  # Markdown: line breaks are its structure
    problems += _text_problems("category", fields.category, CATEGORY_MAX, required=True)
    if len(fields.tags) > TAGS_MAX:
        problems.append(FieldProblem("tags", f"at most {TAGS_MAX} tags"))
    for i, tag in enumerate(fields.tags):
        if (found := forbidden_characters(tag)) is not None or has_nul(tag):
            problems.append(FieldProblem(f"tags[{i}]", f"must not contain {found or 'NUL characters'}"))
        elif is_blank(tag) or len(tag) > TAG_MAX:
            problems.append(FieldProblem(f"tags[{i}]", f"a tag has 1 to {TAG_MAX} characters"))
    if len(fields.language) > 8 or not _LANGUAGE.match(fields.language):
        problems.append(FieldProblem("language", "a language tag such as 'fr' or 'en'"))
    if fields.venue is None and not fields.online_url:
        problems.append(FieldProblem("venue", "a venue or an online_url is required"))
    if fields.venue is not None:
        problems += _venue_problems(fields.venue)
    if fields.online_url is not None and (len(fields.online_url) > URL_MAX or not is_web_url(fields.online_url)
                                          or forbidden_characters(fields.online_url) is not None):
        problems.append(FieldProblem("online_url", f"an http(s) URL of at most {URL_MAX} characters"))
    problems += _payment_problems(fields)
    problems += _range_problem("capacity", fields.capacity, 1, CAPACITY_MAX)
    problems += _range_problem("max_seats_per_booking", fields.max_seats_per_booking, 1, SEATS_PER_BOOKING_MAX)
    if fields.waitlist_mode not in WAITLIST_MODES:
        problems.append(FieldProblem("waitlist.mode", "one of: auto, offer"))
    problems += _range_problem("waitlist.offer_ttl_minutes", fields.offer_ttl_minutes, 1, OFFER_TTL_MAX_MINUTES)
    problems += _range_problem("cancellation_deadline_hours", fields.cancellation_deadline_hours, 0,
                               DEADLINE_MAX_HOURS)
    return problems


def _venue_problems(venue: VenueFields) -> list[FieldProblem]:
    problems = _text_problems("venue.name", venue.name, VENUE_NAME_MAX, required=True)
    problems += _text_problems("venue.address", venue.address, VENUE_ADDRESS_MAX, required=True)
    if (venue.lat is None) != (venue.lon is None):
        problems.append(FieldProblem("venue.lat" if venue.lat is None else "venue.lon",
                                     "give both lat and lon, or neither"))
    if venue.lat is not None and not (math.isfinite(venue.lat) and -90 <= venue.lat <= 90):
        problems.append(FieldProblem("venue.lat", "a latitude from -90 to 90"))
    if venue.lon is not None and not (math.isfinite(venue.lon) and -180 <= venue.lon <= 180):
        problems.append(FieldProblem("venue.lon", "a longitude from -180 to 180"))
    return problems


def _payment_problems(fields: WorkshopFields) -> list[FieldProblem]:
    if fields.payment not in PAYMENTS:
        return [FieldProblem("payment", _ONE_OF_PAYMENTS)]
    problems: list[FieldProblem] = []
    if normalise_currency(fields.currency) is None:
        problems.append(FieldProblem("currency", "an ISO 4217 currency code such as 'EUR'"))
    price = fields.price_cents
    if isinstance(price, bool) or not isinstance(price, int):
        problems.append(FieldProblem("price_cents", "must be an integer"))
    elif fields.payment == Payment.free and price != 0:
        problems.append(FieldProblem("price_cents", "a free workshop has price_cents 0"))
    elif fields.payment != Payment.free and not 0 < price <= PRICE_MAX_CENTS:
        problems.append(FieldProblem("price_cents", f"a paying workshop costs 1 to {PRICE_MAX_CENTS} cents"))
    return problems


SAME_SPOT_DEGREES = 1e-4  # about 10 m: stored coordinates lose digits (REAL columns on PostgreSQL)


def _same_venue(a: VenueFields | None, b: VenueFields | None) -> bool:
    if a is None or b is None:
        return a is b
    if (a.name.strip(), a.address.strip()) != (b.name.strip(), b.address.strip()):
        return False
    if (a.lat is None) != (b.lat is None) or (a.lon is None) != (b.lon is None):
        return False
    return all(x is None or abs(x - y) < SAME_SPOT_DEGREES for x, y in ((a.lat, b.lat), (a.lon, b.lon)))


def place_changed(before: tuple[VenueFields | None, str | None], after: tuple[VenueFields | None, str | None]) -> bool:
    """A new venue (name, address or position) or a new online URL: participants must hear of it.
    Resending the same venue (to the precision it is stored with) changes nothing."""
    return not _same_venue(before[0], after[0]) or before[1] != after[1]


# ------------------------------------------------------------------------------------ lifecycle

def status_after_submit(status: str, moderation: bool) -> str:
    """draft|rejected → submitted, or published at once where the community has no moderation."""
    if status not in (WorkshopStatus.draft, WorkshopStatus.rejected):
        raise InvalidState(f"A {status} workshop cannot be submitted; only drafts and rejected ones.")
    return WorkshopStatus.submitted if moderation else WorkshopStatus.published



def may_view(status: str, *, is_host: bool, is_admin: bool, is_organizer: bool) -> bool:
    """Published (and cancelled/archived) workshops are public; the others only for their host,
    the organizers of their community and admins. Whoever may not see a workshop is told it
    does not exist (404), whatever they ask of it: a 403 or 409 would reveal it."""
    return status in PUBLIC_STATUSES or is_host or is_admin or is_organizer


# what moderators approve, by the API's field names (a revision holds some of these)
CONTENT_FIELDS = ("title", "summary", "description", "category", "tags", "language", "venue",
                  "online_url", "payment", "price_cents", "currency")


def _content_value(f: WorkshopFields, name: str) -> Any:
    """A content field as stored (trimmed, currency lowercased), for comparison."""
    match name:
        case "title" | "summary" | "category":
            return getattr(f, name).strip()
        case "tags":
            return tuple(t.strip() for t in f.tags)
        case "currency":
            return normalise_currency(f.currency) or f.currency
        case _:
            return getattr(f, name)


def changed_content(before: WorkshopFields, after: WorkshopFields) -> list[str]:
    """The content fields (`CONTENT_FIELDS`, in that order) an edit changed: the texts, category,
    tags, language, place (venue or online URL) or price. Capacity, seats per booking, the
    waitlist and the cancellation deadline are not content. Compared as stored; a venue resent
    to the precision it is stored with is the same venue."""
    changed = []
    for name in CONTENT_FIELDS:
        if name == "venue":
            if not _same_venue(before.venue, after.venue):
                changed.append(name)
        elif _content_value(before, name) != _content_value(after, name):
            changed.append(name)
    return changed


def content_changed(before: WorkshopFields, after: WorkshopFields) -> bool:
    """Did an edit change what moderators approved (`changed_content`)?"""
    return bool(changed_content(before, after))


def keeps_revision(status: str, moderation: bool) -> bool:
    """Where the community moderates, a content change to a published workshop is kept as a
    pending revision: the published version stays public and bookable until an organizer
    approves the revision. Elsewhere (drafts, submitted and rejected workshops, communities
    without moderation) an edit applies at once."""
    return status == WorkshopStatus.published and moderation


def check_can_moderate(status: str, *, pending_revision: bool = False) -> None:
    """Approve and reject apply to what waits for moderation: a submitted workshop, or a
    published one's pending revision."""
    if status == WorkshopStatus.submitted or (status == WorkshopStatus.published and pending_revision):
        return
    raise InvalidState(f"Only a submitted workshop or a pending revision can be approved or rejected; "
                       f"this one is {status}" + (" with no pending revision." if status == WorkshopStatus.published
                                                  else "."))


def check_open_for_changes(status: str) -> None:
    if status in CLOSED_STATUSES:
        raise InvalidState(f"A {status} workshop can no longer be changed.")


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if not 1 <= len(reason) <= REASON_MAX or is_blank(reason) or forbidden_characters(reason, multiline=True):
        raise invalid("reason", f"give a reason of 1 to {REASON_MAX} characters")
    return reason


# ------------------------------------------------------------------------------- session times

def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone, or a validation error naming `field`. Only names of the IANA list count:
    zoneinfo also opens system files such as `localtime` (the server's own zone), `Factory`
    or `posix/...`, which name no place and would differ from one machine to the next."""
    if not isinstance(name, str) or not is_valid_timezone(name):
        raise invalid(field, "an IANA time zone such as 'Europe/Paris'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise invalid(field, "an IANA time zone such as 'Europe/Paris'") from None


def localise(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """An aware instant in UTC; a naive value is wall-clock time in `tz` (a time skipped by a DST
    change moves forward by the gap, an ambiguous one takes the first occurrence)."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=tz, fold=0)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # the first or last hours of year 1 or 9999
        raise ValueError("date out of range") from None


def validate_session_times(
    starts_at: dt.datetime, ends_at: dt.datetime, timezone: str, now: dt.datetime,
) -> tuple[dt.datetime, dt.datetime]:
    """Check a session's times and return them in UTC. Naive values are read in `timezone`;
    the end follows the start, by at most 7 days, and the start is not in the past."""
    tz = zone(timezone)
    try:
        start = localise(starts_at, tz)
    except ValueError:
        raise invalid("starts_at", "out of range") from None
    try:
        end = localise(ends_at, tz)
    except ValueError:
        raise invalid("ends_at", "out of range") from None
    if start <= now:
        raise invalid("starts_at", "must be in the future", PAST)
    if start - now > SESSION_MAX_AHEAD:
        raise invalid("starts_at", "at most 10 years ahead", TOO_FAR)
    if end <= start:
        raise invalid("ends_at", "must be after starts_at")
    if end - start > SESSION_MAX_DURATION:
        raise invalid("ends_at", "a session lasts at most 7 days")
    return start, end


# ------------------------------------------------------------------------------------- RRULEs

# RFC 5545 §3.3.10 rule parts; dateutil's extras (BYEASTER, BYWEEKDAY) are not RFC 5545
_RULE_PARTS = ("FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
               "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST")
# sessions repeat at most hourly: below that, dateutil's own loop (between two candidates) is unbounded
RRULE_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
RRULE_INTERVAL_MAX = 1000
RRULE_TIMES_PER_DAY_MAX = 100  # BYHOUR × BYMINUTE × BYSECOND values
# Candidate instants (days, and hours below daily) one expansion may examine. A rule that ends
# within the 10-year horizon needs at most ~7,400 (HOURLY filtered to a few days a year);
# the worst rule stops here after some 50 ms.
RRULE_MAX_CANDIDATES = 10_000
_RRULE_EXAMPLE = "an RFC 5545 RRULE such as 'FREQ=WEEKLY;COUNT=4'"
_DIGITS = re.compile(r"^\d{1,9}$")


def _rule_parts(rule: str, limit: int) -> dict[str, str]:
    """The parts of an RRULE by upper-case name, checked for what dateutil lets through:
    repeated or unknown parts, INTERVAL=0, COUNT with UNTIL (RFC 5545 forbids it), a COUNT
    above the cap, a rule with no end, sub-hourly frequencies and huge sets of times of day."""
    body = rule.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or any(c in body for c in "\r\n:") or has_nul(body):
        raise invalid("rrule", _RRULE_EXAMPLE)
    parts: dict[str, str] = {}
    for pair in body.split(";"):
        name, sep, value = pair.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise invalid("rrule", f"{_RRULE_EXAMPLE}: each part is NAME=VALUE, separated by ';'")
        if name not in _RULE_PARTS:
            raise invalid("rrule", f"unknown rule part {name[:20]!r}; RFC 5545 names: {', '.join(_RULE_PARTS)}")
        if name in parts:
            raise invalid("rrule", f"{name} is given twice")
        parts[name] = value
    if "FREQ" not in parts:
        raise invalid("rrule", f"{_RRULE_EXAMPLE}: FREQ is required")
    if parts["FREQ"] not in RRULE_FREQUENCIES:
        raise invalid("rrule", "FREQ is one of " + ", ".join(RRULE_FREQUENCIES)
                      + " (sessions repeat at most hourly)")
    if "INTERVAL" in parts and not (_DIGITS.match(parts["INTERVAL"])
                                    and 1 <= int(parts["INTERVAL"]) <= RRULE_INTERVAL_MAX):
        raise invalid("rrule", f"INTERVAL is an integer from 1 to {RRULE_INTERVAL_MAX}", INTERVAL)
    if "COUNT" in parts and "UNTIL" in parts:
        raise invalid("rrule", "give COUNT or UNTIL, not both (RFC 5545)")
    if "COUNT" in parts:
        if not _DIGITS.match(parts["COUNT"]) or int(parts["COUNT"]) < 1:
            raise invalid("rrule", f"COUNT is an integer from 1 to {limit}", TOO_MANY)
        if int(parts["COUNT"]) > limit:
            raise invalid("rrule", f"a rule makes at most {limit} sessions; COUNT is {int(parts['COUNT'])}",
                          TOO_MANY)
    elif "UNTIL" not in parts:
        raise invalid("rrule", f"a rule makes at most {limit} sessions: end it with COUNT (at most "
                               f"{limit}) or UNTIL", TOO_MANY)
    times = 1
    for name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        times *= len(parts[name].split(",")) if name in parts else 1
    if times > RRULE_TIMES_PER_DAY_MAX:
        raise invalid("rrule", f"at most {RRULE_TIMES_PER_DAY_MAX} times of day (BYHOUR × BYMINUTE × BYSECOND)")
    return parts


def _local_until(text: str, tz: ZoneInfo) -> dt.datetime:
    """UNTIL in the session's wall-clock time (dateutil, given a naive DTSTART, needs a naive
    UNTIL); a date-only UNTIL includes that whole day."""
    try:
        if re.fullmatch(r"\d{8}", text):
            return dt.datetime.strptime(text, "%Y%m%d").replace(hour=23, minute=59, second=59)
        if re.fullmatch(r"\d{8}T\d{6}Z", text):
            instant = dt.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return instant.astimezone(tz).replace(tzinfo=None)
        if re.fullmatch(r"\d{8}T\d{6}", text):
            return dt.datetime.strptime(text, "%Y%m%dT%H%M%S")
    except (ValueError, OverflowError):
        pass
    raise invalid("rrule", "UNTIL must be a date (20270131) or a date-time (20270131T120000Z)")


def expand_rrule(
    rule: str, starts_at: dt.datetime, ends_at: dt.datetime, timezone: str, limit: int = MAX_OCCURRENCES,
    *, now: dt.datetime | None = None, walk: recurrence.Walk | None = None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Occurrences of an RFC 5545 RRULE from the first session (aware instants), in UTC.

    The rule runs in the session's local wall-clock time, so 14:00 Europe/Paris stays 14:00
    across DST changes; every occurrence keeps the first one's duration. The rule must end
    (COUNT or UNTIL), make at most `limit` sessions and start every one of them at most 10
    years after `now` (default: the first session); otherwise it is refused, never cut.
    The walk through dateutil's candidates is bounded (`RRULE_MAX_CANDIDATES`, and nothing
    after the horizon or UNTIL is examined); pass `walk` to choose the budget or read what
    was examined.
    """
    from dateutil.rrule import rrulestr

    if len(rule) > RRULE_MAX:
        raise invalid("rrule", f"at most {RRULE_MAX} characters")
    tz = zone(timezone)
    parts = _rule_parts(rule, limit)
    horizon = (now or starts_at).astimezone(UTC) + SESSION_MAX_AHEAD
    try:
        horizon_day = horizon.astimezone(tz).date()
    except OverflowError:
        horizon_day = dt.date.max
    last_day = horizon_day
    if "UNTIL" in parts:
        until = _local_until(parts["UNTIL"], tz)
        if until.date() > horizon_day:
            raise invalid("rrule", "UNTIL is at most 10 years ahead (sessions start at most 10 years ahead)",
                          BEYOND_HORIZON)
        parts["UNTIL"] = f"{until:%Y%m%dT%H%M%S}"
        last_day = until.date()
    body = ";".join(f"{name}={value}" for name, value in parts.items())
    first_local = starts_at.astimezone(tz).replace(tzinfo=None)
    duration = ends_at - starts_at
    bounds = walk or recurrence.Walk(last_day=last_day, budget=RRULE_MAX_CANDIDATES)
    bounds.last_day = min(bounds.last_day, last_day)
    result: list[tuple[dt.datetime, dt.datetime]] = []
    try:
        for local in recurrence.walk(rrulestr(body, dtstart=first_local), bounds):
            try:
                start = localise(local, tz)
            except ValueError:
                raise invalid("rrule", "an occurrence falls out of the calendar's range") from None
            if start > horizon:
                raise invalid("rrule", f"session {len(result) + 1} would start on {local:%Y-%m-%d}: every "
                                       "session starts at most 10 years ahead", BEYOND_HORIZON)
            result.append((start, start + duration))
            if len(result) > limit:
                raise invalid("rrule", f"a rule makes at most {limit} sessions; this one makes more", TOO_MANY)
    except recurrence.LastDayPassed:
        if "COUNT" in parts and len(result) < int(parts["COUNT"]):
            if not result:
                raise invalid("rrule", "the rule yields no session within the next 10 years",
                              BEYOND_HORIZON) from None
            raise invalid("rrule", f"only {len(result)} of its {int(parts['COUNT'])} sessions start within "
                                   "10 years: every session starts at most 10 years ahead",
                          BEYOND_HORIZON) from None
    except recurrence.BudgetExhausted:
        raise invalid("rrule", f"too complex: {bounds.budget} candidate times examined without finding "
                               "its sessions; write a simpler rule") from None
    except (ValueError, TypeError, OverflowError, KeyError, IndexError) as exc:
        raise invalid("rrule", f"not a valid RRULE ({exc})") from None
    if not result:
        raise invalid("rrule", "the rule yields no occurrence")
    return result


# ----------------------------------------------------------------------------------- geography

def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class BoundingBox:
    """Degrees around a point that contain every point within the radius (a cheap SQL prefilter).
    `min_lon`/`max_lon` are None when the box wraps the antimeridian or a pole: no filter on longitude."""

    min_lat: float
    max_lat: float
    min_lon: float | None
    max_lon: float | None


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), None, None)
    # widest at the latitude of the box edge nearest a pole
    widest = max(abs(min_lat), abs(max_lat))
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * math.cos(math.radians(widest))))
    if dlon >= 180 or lon - dlon < -180 or lon + dlon > 180:
        return BoundingBox(min_lat, max_lat, None, None)
    return BoundingBox(min_lat, max_lat, lon - dlon, lon + dlon)


# ------------------------------------------------------------------------------ listing filters

@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class ListingQuery:
    """Filters of GET /api/v1/workshops, parsed and checked."""

    community: str | None = None
    host: int | None = None
    category: str | None = None
    q: str | None = None
    starts_from: dt.datetime | None = None  # UTC, inclusive
    starts_before: dt.datetime | None = None  # UTC, exclusive
    near: Near | None = None
    payment: str | None = None


def _float(text: str, param: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise invalid(param, "must be a number") from None
    if not math.isfinite(value):
        raise invalid(param, "must be a finite number")
    return value


def parse_moment(text: str, param: str, tz: dt.tzinfo, *, end_of_range: bool) -> dt.datetime:
    """A date (`2026-12-05`: the whole day in `tz`) or an RFC 3339 date-time (naive: in `tz`).
    For the end of a range a date means the start of the following day."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
            if end_of_range:
                day += dt.timedelta(days=1)
            return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)
        # an unencoded '+' of an offset arrives as a space
        text = re.sub(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:\d{2})$", r"\1+\2", text)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ][0-9:.]+([Zz]|[+-]\d{2}:\d{2})?", text):
            raise ValueError(text)
        value = dt.datetime.fromisoformat(text.replace("z", "Z"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise invalid(param, "a date (2026-12-05) or an RFC 3339 date-time") from None


def parse_listing_query(
    *, community: str | None = None, host: str | None = None, category: str | None = None,
    q: str | None = None,
    starts_from: str | None = None, starts_to: str | None = None, near: str | None = None,
    radius_km: str | None = None, payment: str | None = None, tz: dt.tzinfo = UTC,
) -> ListingQuery:
    """Query-string values → ListingQuery; a bad value is a 400 naming its parameter. Dates and
    naive date-times are read in `tz` (the filtered community's zone, else UTC)."""
    for param, value in (("community", community), ("category", category), ("q", q), ("from", starts_from),
                         ("to", starts_to), ("near", near)):
        if has_nul(value):
            raise invalid(param, "must not contain NUL characters")
    community = community.strip() if community and community.strip() else None
    category = category.strip() if category and category.strip() else None
    if category and len(category) > CATEGORY_MAX:
        raise invalid("category", f"at most {CATEGORY_MAX} characters")
    q = q.strip() if q and q.strip() else None
    if q and len(q) > 200:
        raise invalid("q", "at most 200 characters")
    host_id = None
    if host is not None:
        if not re.fullmatch(r"\d{1,10}", host.strip()) or not 0 < int(host) <= MAX_ID:
            raise invalid("host", "a user id")
        host_id = int(host)
    if payment is not None and payment not in PAYMENTS:
        raise invalid("payment", _ONE_OF_PAYMENTS)
    start = parse_moment(starts_from, "from", tz, end_of_range=False) if starts_from else None
    end = parse_moment(starts_to, "to", tz, end_of_range=True) if starts_to else None
    if start and end and end <= start:
        raise invalid("to", "must come after from")
    place = None
    if near is not None:
        parts = near.split(",")
        if len(parts) != 2:
            raise invalid("near", "lat,lon such as 48.87,2.38")
        lat, lon = _float(parts[0], "near"), _float(parts[1], "near")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise invalid("near", "latitude from -90 to 90, longitude from -180 to 180")
        radius = RADIUS_DEFAULT_KM
        if radius_km is not None:
            radius = _float(radius_km, "radius_km")
            if not 0 < radius <= RADIUS_MAX_KM:
                raise invalid("radius_km", f"more than 0 and at most {RADIUS_MAX_KM:g}")
        place = Near(lat, lon, radius)
    elif radius_km is not None:
        raise invalid("radius_km", "only with near=lat,lon")
    return ListingQuery(community=community, host=host_id, category=category, q=q, starts_from=start,
                        starts_before=end, near=place, payment=payment)


def search_pattern(query: str) -> str:
    """The `LIKE` pattern of a listing's `q` over `search_text`: folded as the stored text is
    (case and accents ignored), its line breaks read as spaces."""
    from workshops.text import folded

    return like_pattern(folded(" ".join(query.splitlines())))


def like_pattern(text: str) -> str:
    """A `LIKE … ESCAPE '\\'` pattern matching `text` anywhere, its wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ------------------------------------------------------------------------------------ recipes

RECIPE_MATERIAL_MAX = 300
RECIPE_MATERIALS_MAX = 60
RECIPE_STEP_MAX = 2000
RECIPE_STEPS_MAX = 60
RECIPE_DURATION_MAX = 24 * 60
RECIPE_GROUP_MAX = 1000
RECIPE_COST_NOTE_MAX = 300
LICENCES = tuple(Licence)
LICENCE_URLS = {
    Licence.cc_by_sa_4: "https://creativecommons.org/licenses/by-sa/4.0/",
    Licence.cc_by_4: "https://creativecommons.org/licenses/by/4.0/",
    Licence.cc0_1: "https://creativecommons.org/publicdomain/zero/1.0/",
}


@dataclass(frozen=True)
class RecipeFields:
    """What a host writes when publishing a recipe (the rest is the workshop's text)."""

    materials: tuple[str, ...]
    steps: tuple[str, ...]
    duration_minutes: int
    licence: str
    group_size: int | None = None
    cost_note: str = ""


def _items_problems(field: str, items: tuple[str, ...], item_max: int, count_max: int, *,
                    required: bool) -> list[FieldProblem]:
    if required and not items:
        return [FieldProblem(field, "at least one item")]
    if len(items) > count_max:
        return [FieldProblem(field, f"at most {count_max} items")]
    for index, item in enumerate(items):
        found = _text_problems(f"{field}[{index}]", item, item_max, required=True, multiline=True)
        if found:
            return [FieldProblem(field, f"item {index + 1}: {found[0].message}")]
    return []


def check_recipe(fields: RecipeFields) -> list[FieldProblem]:
    """Every rule a recipe must satisfy, as a list of problems (empty: valid)."""
    problems = _items_problems("materials", fields.materials, RECIPE_MATERIAL_MAX, RECIPE_MATERIALS_MAX,
                               required=False)
    problems += _items_problems("steps", fields.steps, RECIPE_STEP_MAX, RECIPE_STEPS_MAX, required=True)
    problems += _range_problem("duration_minutes", fields.duration_minutes, 1, RECIPE_DURATION_MAX)
    if fields.group_size is not None:
        problems += _range_problem("group_size", fields.group_size, 1, RECIPE_GROUP_MAX)
    problems += _text_problems("cost_note", fields.cost_note, RECIPE_COST_NOTE_MAX, required=False)
    if fields.licence not in LICENCES:
        problems.append(FieldProblem("licence", "one of: " + ", ".join(LICENCES)))
    return problems


def clean_items(items: Iterable[str]) -> tuple[str, ...]:
    """A list as typed, its items trimmed and the blank ones left out (a form's empty lines)."""
    return tuple(item.strip() for item in items if not is_blank(item))


# ------------------------------------------------------------------------ short codes (issue 22)
# A session's short code (`/s/{code}`, on the printed programme): 6 characters read aloud or
# typed from paper, so no look-alikes (no 0/O, 1/I/L, and no U): 31^6 ≈ 887 million codes.
SHORT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
SHORT_CODE_LENGTH = 6


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))


def normalise_short_code(text: str) -> str | None:
    """What a person typed (any case, spaces or a dash) as a code, or None if it cannot be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != SHORT_CODE_LENGTH or any(c not in SHORT_CODE_ALPHABET for c in code):
        return None
    return code
