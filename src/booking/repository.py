"""Every query on booking's tables (`booking`, `booking_idempotency_key`, `waitlist_entry`,
`feedback`, `attendance_mark`, `payment_event`, `refund`): the `Sql` statements of the booking engine's operations, and the reads of the
service, the stats port, the data export and notify's read model.

Documented cross-package statements, one query each for speed; the SQL ones take their joins
to the session and its workshop from `workshops.repository` (`lock_session`,
`session_view_from`: aliases `s` and `w`), so no workshop table is named here:
- `LOCK_AND_COUNT`: the session row with its seat counts, the booking hot path's single
  statement on SQLite;
- `BOOKING_WITH_PARTIES` (a booking with its workshop's host and community): the read and its
  permission check in one round trip;
- `SESSIONS_TO_RELEASE` (a user's active bookings of sessions not started yet, and active
  waitlist entries): account deletion filters on `s.starts_at` in the same indexed read;
- `ratings_of_workshops`, `RATING_OF_HOST` and `RATING_OF_WORKSHOP` aggregate feedback per
  workshop or host in the database (count, and the average only from 3 ratings), for every
  workshop of a listing at once;
- `ROSTER_OF_SESSION` (a session's active bookings and waitlist entries with the participants'
  names, one `UNION ALL`), `FEEDBACK_OF_WORKSHOP`, `FEEDBACK_WITH_PARTIES` and
  `FEEDBACK_PAGE_VIEW` (the emailed feedback form) join `app_user` or the session and workshop;
- `ATTENDANCE_REPORT` (the organizers' report): the community's sessions of a date range
  (`workshops.repository.community_sessions_from`, with the host's name) with their bookings,
  waitlist entries and feedback aggregated per session, workshop, host and community in one
  statement;
- `RECIPE_RUNS` (a recipe page's record): the sessions held by every workshop of a recipe's
  lineage (`workshops.repository.recipe_chain_held_sessions`, a recursive CTE) with their
  attended seats and ratings, in one statement;
- `personal_data` (the data export) follows booking's foreign keys to the session and workshop
  (Piccolo joins) for each row's date and title, instead of one lookup per row;
- `CHECKOUT_FACTS` (what a Stripe Checkout Session is made of: the booking, its workshop's
  title and price, the participant's email and language) joins the session, workshop and
  `app_user` like the notification views;
- the notification read model's booking and waitlist views join the session, workshop,
  host, community and participant through `workshops.repository`'s and
  `accounts.repository`'s fragments (`ROSTER` joins `app_user` for the names).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from accounts.repository import person_columns
from booking.rules import RATINGS_SHOWN_FROM
from booking.schemas import Attendance, BookingStatus, RefundStatus, WaitlistStatus
from booking.tables import Booking, Feedback, WaitlistEntry
from kernel.sql import Sql, as_datetime, execute, fetch_all, fetch_one, fetch_value, placeholders
from workshops.enums import SessionStatus
from workshops.repository import (
    REPORT_SESSION_COLUMNS,
    SESSION_VIEW_COLUMNS,
    WORKSHOP_VIEW_COLUMNS,
    community_sessions_from,
    lock_session,
    recipe_chain_held_sessions,
    session_view_from,
    sessions_ended_before,
)


def _sql(*statuses: StrEnum) -> str:
    """Status values as SQL string literals (`'confirmed'`), so statements stay constants."""
    return ", ".join(f"'{status.value}'" for status in statuses)


_CONFIRMED = _sql(BookingStatus.confirmed)
_HELD = _sql(BookingStatus.pending_payment)
_ACTIVE_BOOKING = _sql(BookingStatus.confirmed, BookingStatus.pending_payment)
_WAITING = _sql(WaitlistStatus.waiting)
_OFFERED = _sql(WaitlistStatus.offered)
_ACTIVE_ENTRY = _sql(WaitlistStatus.waiting, WaitlistStatus.offered)

# ------------------------------------------------------------------- the one seat count


def seat_counts(session: str, now: str) -> str:
    """The seats of a session as SQL columns — the one rule for the booking operations and the
    stats port: `booked` (confirmed seats + payment holds not lapsed), `offered` (seats held by
    waitlist offers not lapsed), `waiting` (how many `waiting` entries) and `due` (holds and
    offers past their deadline, not marked expired yet). `session` and `now` are SQL
    expressions: parameters (`?1`) or a column of the enclosing query. Each count is one
    indexed range scan (booking_session_status_seats, waitlist_entry_session_status_id)."""
    return (
        f'(SELECT COALESCE(SUM(seats), 0) FROM booking WHERE "session" = {session} AND status = {_CONFIRMED}) + '
        f'(SELECT COALESCE(SUM(seats), 0) FROM booking WHERE "session" = {session} AND status = {_HELD} '
        f" AND hold_expires_at > {now}) AS booked, "
        f'(SELECT COALESCE(SUM(seats), 0) FROM waitlist_entry WHERE "session" = {session} AND status = {_OFFERED} '
        f" AND offer_expires_at > {now}) AS offered, "
        f'(SELECT COUNT(*) FROM waitlist_entry WHERE "session" = {session} AND status = {_WAITING}) AS waiting, '
        f'(SELECT COUNT(*) FROM booking WHERE "session" = {session} AND status = {_HELD} '
        f" AND hold_expires_at <= {now}) + "
        f'(SELECT COUNT(*) FROM waitlist_entry WHERE "session" = {session} AND status = {_OFFERED} '
        f" AND offer_expires_at <= {now}) AS due"
    )


@functools.lru_cache(maxsize=64)
def seat_counts_of_sessions(count: int) -> Sql:
    """?1 now, ?2 … ?count+1 the sessions: one row per session given (`session` and the
    `seat_counts` columns, zeros for a session without bookings)."""
    ids = ", ".join(f"(CAST(?{i} AS INTEGER))" for i in range(2, count + 2))
    return Sql(f'WITH ids(id) AS (VALUES {ids}) SELECT id AS "session", {seat_counts("ids.id", "?1")} FROM ids')


async def seats_of_sessions(session_ids: Sequence[int], now: dt.datetime) -> list[Any]:
    """The `seat_counts` rows of these (distinct) sessions, in one query."""
    return await fetch_all(seat_counts_of_sessions(len(session_ids)), now, *session_ids)


# ------------------------------------------------------------- the booking engine's operations

# ?1 session, ?2 now, ?3 the asking participant's active_slot ('' for nobody)
_OCCUPANCY_COLUMNS = (
    f"{seat_counts('?1', '?2')}, "
    "EXISTS (SELECT 1 FROM booking WHERE active_slot = ?3) AS has_booking, "
    "EXISTS (SELECT 1 FROM waitlist_entry WHERE active_slot = ?3) AS has_entry"
)
OCCUPANCY = Sql(f"SELECT {_OCCUPANCY_COLUMNS}")
# SQLite only (its writer already holds the write lock): the session and its seats in one
# statement. PostgreSQL must lock the row first and count in a later statement, whose
# snapshot then includes whatever the previous lock holder committed.
LOCK_AND_COUNT = lock_session(_OCCUPANCY_COLUMNS)
EXPIRE_HOLDS = Sql(
    f"UPDATE booking SET status = {_sql(BookingStatus.expired)}, active_slot = NULL, updated_at = ?2 "
    f"WHERE \"session\" = ?1 AND status = {_HELD} AND hold_expires_at <= ?2 "
    "RETURNING id, \"user\""
)
EXPIRE_OFFERS = Sql(
    f"UPDATE waitlist_entry SET status = {_sql(WaitlistStatus.expired)}, active_slot = NULL, updated_at = ?2 "
    f"WHERE \"session\" = ?1 AND status = {_OFFERED} AND offer_expires_at <= ?2 "
    "RETURNING id, \"user\""
)
WAITING_THAT_FIT = Sql(
    "SELECT id, \"user\", seats FROM waitlist_entry "
    f"WHERE \"session\" = ?1 AND status = {_WAITING} AND seats <= ?2 ORDER BY id"
)
INSERT_BOOKING = Sql(
    "INSERT INTO booking (\"session\", \"user\", seats, status, attendance, amount_cents, currency, "
    "late_cancellation, hold_expires_at, checkin_code, active_slot, waitlist_entry_id, created_at, "
    f"updated_at) VALUES (?1, ?2, ?3, ?4, {_sql(Attendance.unknown)}, ?5, ?6, false, ?7, ?8, ?9, ?10, ?11, ?11) "
    "RETURNING id"
)
BOOKING_COLUMNS = (
    "id, \"session\", \"user\", seats, status, attendance, amount_cents, currency, "
    "late_cancellation, checkout_url, hold_expires_at, checkin_code, created_at, refund_status, refunded_cents, "
    "source, booked_by, guest_name, guest_phone, guest_note"
)
# a booking for a neighbour without an account (`user` NULL, no active_slot: a relay may book
# for several): ?1 session, ?2 seats, ?3 status, ?4 attendance, ?5 amount, ?6 currency,
# ?7 check-in code, ?8 booked_by, ?9 source, ?10 guest name, ?11 phone, ?12 note, ?13 now
INSERT_GUEST_BOOKING = Sql(
    "INSERT INTO booking (\"session\", \"user\", seats, status, attendance, amount_cents, currency, "
    "late_cancellation, hold_expires_at, checkin_code, active_slot, waitlist_entry_id, created_at, "
    "updated_at, booked_by, source, guest_name, guest_phone, guest_note) "
    "VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, false, NULL, ?7, NULL, NULL, ?13, ?13, ?8, ?9, ?10, ?11, ?12) "
    "RETURNING id"
)
SELECT_BOOKING = Sql(f"SELECT {BOOKING_COLUMNS} FROM booking WHERE id = ?1")
CONFIRM_HOLD = Sql(
    f"UPDATE booking SET status = {_CONFIRMED}, hold_expires_at = NULL, updated_at = ?2 WHERE id = ?1"
)
CANCEL_BOOKING = Sql(
    f"UPDATE booking SET status = {_sql(BookingStatus.cancelled)}, active_slot = NULL, late_cancellation = ?2, "
    "cancelled_at = ?3, cancelled_by = ?4, updated_at = ?3 WHERE id = ?1"
)
CLAIM_KEY = Sql(
    "INSERT INTO booking_idempotency_key (user_key, request_hash, booking_id, created_at) "
    "VALUES (?1, ?2, NULL, ?3) ON CONFLICT (user_key) DO NOTHING RETURNING id"
)
SELECT_KEY = Sql("SELECT request_hash, booking_id FROM booking_idempotency_key WHERE user_key = ?1")
KEY_BOOKED = Sql("UPDATE booking_idempotency_key SET booking_id = ?2 WHERE id = ?1")
PURGE_KEYS = Sql("DELETE FROM booking_idempotency_key WHERE created_at < ?1")
INSERT_ENTRY = Sql(
    "INSERT INTO waitlist_entry (\"session\", \"user\", seats, status, offer_expires_at, active_slot, "
    f"booking_id, created_at, updated_at) VALUES (?1, ?2, ?3, {_WAITING}, NULL, ?4, NULL, ?5, ?5) "
    "RETURNING id"
)
SELECT_ENTRY = Sql(
    "SELECT id, \"session\", \"user\", seats, status, offer_expires_at, booking_id "
    "FROM waitlist_entry WHERE id = ?1"
)
CLOSE_ENTRY = Sql(  # ?2 booked or withdrawn
    "UPDATE waitlist_entry SET status = ?2, active_slot = NULL, booking_id = ?3, updated_at = ?4 "
    "WHERE id = ?1"
)
OFFER_ENTRY = Sql(
    f"UPDATE waitlist_entry SET status = {_OFFERED}, offer_expires_at = ?2, updated_at = ?3 WHERE id = ?1"
)
CANCEL_SESSION_BOOKINGS = Sql(
    f"UPDATE booking SET status = {_sql(BookingStatus.cancelled)}, active_slot = NULL, cancelled_at = ?2, "
    f"cancelled_by = ?3, updated_at = ?2 WHERE \"session\" = ?1 AND status IN ({_ACTIVE_BOOKING}) RETURNING id"
)
WITHDRAW_SESSION_ENTRIES = Sql(
    f"UPDATE waitlist_entry SET status = {_sql(WaitlistStatus.withdrawn)}, active_slot = NULL, updated_at = ?2 "
    f"WHERE \"session\" = ?1 AND status IN ({_ACTIVE_ENTRY}) RETURNING id"
)
CONFIRMED_BOOKING_IDS = Sql(
    f"SELECT id FROM booking WHERE \"session\" = ?1 AND status = {_CONFIRMED} ORDER BY id"
)
USER_ACTIVE_BOOKINGS = Sql(
    "SELECT id FROM booking WHERE \"session\" = ?1 AND \"user\" = ?2 "
    f"AND status IN ({_ACTIVE_BOOKING})"
)
USER_ACTIVE_ENTRIES = Sql(
    "SELECT id, status FROM waitlist_entry WHERE \"session\" = ?1 AND \"user\" = ?2 "
    f"AND status IN ({_ACTIVE_ENTRY})"
)

# the door (issue 22): ?1 session, ?2 now — free and on-site bookings made ahead (by their
# participant or a relay) not checked in become released no-shows: cancelled (their seats free
# again), attendance no_show, `released_at` set
# not checked in: not marked at all, or marked no-show by hand (both give their seats back)
RELEASE_NO_SHOWS = Sql(
    f"UPDATE booking SET status = {_sql(BookingStatus.cancelled)}, active_slot = NULL, "
    f"attendance = {_sql(Attendance.no_show)}, released_at = ?2, cancelled_at = ?2, cancelled_by = 'released', "
    f"updated_at = ?2 WHERE \"session\" = ?1 AND status = {_CONFIRMED} AND attendance IN ({_sql(Attendance.unknown)}, {_sql(Attendance.no_show)}) "
    "AND source IN ('self', 'relay') RETURNING id, \"user\", booked_by, seats"
)
_STANDBY_WAITING = "'waiting'"
WAITING_STANDBY = Sql(
    f"SELECT id, name, seats FROM standby_entry WHERE \"session\" = ?1 AND status = {_STANDBY_WAITING} ORDER BY id"
)
COUNT_STANDBY = Sql(
    f"SELECT COUNT(*) AS n FROM standby_entry WHERE \"session\" = ?1 AND status = {_STANDBY_WAITING}"
)
# ?1 session, ?2 name, ?3 seats, ?4 added by, ?5 now
INSERT_STANDBY = Sql(
    "INSERT INTO standby_entry (\"session\", name, seats, status, added_by, booking_id, created_at) "
    f"VALUES (?1, ?2, ?3, {_STANDBY_WAITING}, ?4, NULL, ?5) RETURNING id"
)
# ?1 sessions ended before this instant (30 days ago): the names, phones and notes of people
# without an account are erased; the bookings stay, and count
ERASE_GUESTS = Sql(
    "UPDATE booking SET guest_name = NULL, guest_phone = NULL, guest_note = NULL WHERE \"user\" IS NULL "
    "AND (guest_name IS NOT NULL OR guest_phone IS NOT NULL OR guest_note IS NOT NULL) "
    f"AND \"session\" IN ({sessions_ended_before('?1')})"
)
ERASE_STANDBY_NAMES = Sql(
    f"UPDATE standby_entry SET name = NULL WHERE name IS NOT NULL AND \"session\" IN ({sessions_ended_before('?1')})"
)
SERVE_STANDBY = Sql("UPDATE standby_entry SET status = 'served', booking_id = ?2 WHERE id = ?1")

# ------------------------------------------------------------------- the service's reads

_B_BOOKING_COLUMNS = ", ".join(f"b.{column.strip()}" for column in BOOKING_COLUMNS.split(","))
# ?1 booking: its columns, and the host and community of its workshop (who may read it)
BOOKING_WITH_PARTIES = Sql(
    f"SELECT {_B_BOOKING_COLUMNS}, w.host, w.community{session_view_from('booking', 'b')} WHERE b.id = ?1"
)
# ?1 user, ?2 limit, ?3 offset: newest first
BOOKINGS_OF_USER = Sql(
    f"SELECT {BOOKING_COLUMNS} FROM booking WHERE \"user\" = ?1 "
    "ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
)
COUNT_BOOKINGS_OF_USER = Sql("SELECT COUNT(*) AS n FROM booking WHERE \"user\" = ?1")
# ?1 user, ?2 limit, ?3 offset: newest first; `position` counts the waiting entries of the
# session up to each (index waitlist_entry(session, status, id))
ENTRIES_OF_USER = Sql(
    "SELECT e.id, e.\"session\", e.seats, e.status, e.offer_expires_at, e.booking_id, "
    f"CASE WHEN e.status = {_WAITING} THEN (SELECT COUNT(*) FROM waitlist_entry o "
    f" WHERE o.\"session\" = e.\"session\" AND o.status = {_WAITING} AND o.id <= e.id) END AS position "
    "FROM waitlist_entry e WHERE e.\"user\" = ?1 ORDER BY e.id DESC LIMIT ?2 OFFSET ?3"
)
# ?1 user, ?2 entry: one of the user's entries, as ENTRIES_OF_USER reads them
ENTRY_OF_USER = Sql(
    "SELECT e.id, e.\"session\", e.seats, e.status, e.offer_expires_at, e.booking_id, "
    f"CASE WHEN e.status = {_WAITING} THEN (SELECT COUNT(*) FROM waitlist_entry o "
    f" WHERE o.\"session\" = e.\"session\" AND o.status = {_WAITING} AND o.id <= e.id) END AS position "
    "FROM waitlist_entry e WHERE e.\"user\" = ?1 AND e.id = ?2"
)
COUNT_ENTRIES_OF_USER = Sql("SELECT COUNT(*) AS n FROM waitlist_entry WHERE \"user\" = ?1")
# ?1 now: the sessions with something past its deadline (the worker's expiry jobs)
SESSIONS_WITH_LAPSED_HOLDS = Sql(
    f"SELECT DISTINCT \"session\" FROM booking WHERE status = {_HELD} AND hold_expires_at <= ?1"
)
SESSIONS_WITH_LAPSED_OFFERS = Sql(
    f"SELECT DISTINCT \"session\" FROM waitlist_entry WHERE status = {_OFFERED} AND offer_expires_at <= ?1"
)
# ?1 user, ?2 now: the sessions where account deletion gives seats back (active bookings of
# sessions not started yet, active waitlist entries)
SESSIONS_TO_RELEASE = Sql(
    f"SELECT b.\"session\"{session_view_from('booking', 'b')} "
    f"WHERE b.\"user\" = ?1 AND b.status IN ({_ACTIVE_BOOKING}) AND s.starts_at > ?2 "
    "UNION SELECT \"session\" FROM waitlist_entry WHERE \"user\" = ?1 "
    f"AND status IN ({_ACTIVE_ENTRY})"
)


@functools.lru_cache(maxsize=32)
def places_of_user_in_sessions(count: int) -> Sql:
    """?1 user, ?2 … ?count+1 the sessions: the user's active bookings (`kind` 'booking') and
    active waitlist entries (`kind` 'entry', `position` for a waiting one) of these sessions,
    one `UNION ALL` — a workshop's page shows them in place of its Book buttons."""
    ids = placeholders(2, count)
    return Sql(
        "SELECT 'booking' AS kind, id, \"session\", seats, status, NULL AS position, NULL AS offer_expires_at "
        f"FROM booking WHERE \"user\" = ?1 AND status IN ({_ACTIVE_BOOKING}) AND \"session\" IN ({ids}) "
        "UNION ALL SELECT 'entry' AS kind, e.id, e.\"session\", e.seats, e.status, "
        f"CASE WHEN e.status = {_WAITING} THEN (SELECT COUNT(*) FROM waitlist_entry o "
        f" WHERE o.\"session\" = e.\"session\" AND o.status = {_WAITING} AND o.id <= e.id) END AS position, "
        "e.offer_expires_at "
        f"FROM waitlist_entry e WHERE e.\"user\" = ?1 AND e.status IN ({_ACTIVE_ENTRY}) AND e.\"session\" IN ({ids})"
    )


async def places_of_user(user_id: int, session_ids: Sequence[int]) -> list[Any]:
    """The `places_of_user_in_sessions` rows of these (distinct) sessions, in one query."""
    if not session_ids:
        return []
    return await fetch_all(places_of_user_in_sessions(len(session_ids)), user_id, *session_ids)


async def booking_with_parties(booking_id: int) -> Any:
    """The booking's row with `host` and `community`, or None."""
    return await fetch_one(BOOKING_WITH_PARTIES, booking_id)


async def bookings_of_user(user_id: int, limit: int, offset: int) -> tuple[list[Any], int]:
    """A page of the user's bookings (newest first) and how many there are in all."""
    rows = await fetch_all(BOOKINGS_OF_USER, user_id, limit, offset)
    return rows, await fetch_value(COUNT_BOOKINGS_OF_USER, user_id)


async def entries_of_user(user_id: int, limit: int, offset: int) -> tuple[list[Any], int]:
    """A page of the user's waitlist entries (newest first, with `position`) and the total."""
    rows = await fetch_all(ENTRIES_OF_USER, user_id, limit, offset)
    return rows, await fetch_value(COUNT_ENTRIES_OF_USER, user_id)


async def entry_of_user(user_id: int, entry_id: int) -> Any:
    """One of the user's waitlist entries (with `position`), or None (someone else's too)."""
    return await fetch_one(ENTRY_OF_USER, user_id, entry_id)


async def sessions_with_lapsed_holds(now: dt.datetime) -> list[int]:
    return [row["session"] for row in await fetch_all(SESSIONS_WITH_LAPSED_HOLDS, now)]


async def sessions_with_lapsed_offers(now: dt.datetime) -> list[int]:
    return [row["session"] for row in await fetch_all(SESSIONS_WITH_LAPSED_OFFERS, now)]


async def sessions_to_release(user_id: int, now: dt.datetime) -> list[int]:
    return [row["session"] for row in await fetch_all(SESSIONS_TO_RELEASE, user_id, now)]


# ------------------------------------------------------------------ ratings (the stats port)

# feedback of bookings of sessions (s) of workshops (w): aggregated where the rows are
_RATINGS_FROM = f"{session_view_from('booking', 'b')} JOIN feedback f ON f.booking = b.id"


# `n` ratings and their `average` (2 decimals), NULL below RATINGS_SHOWN_FROM ratings: the public
# rule, decided where the rows are. Hidden comments keep their rating: it still counts.
_RATING_COLUMNS = (f"COUNT(*) AS n, CASE WHEN COUNT(*) >= {RATINGS_SHOWN_FROM} "
                   "THEN ROUND(AVG(f.rating * 1.0), 2) END AS average")


@functools.lru_cache(maxsize=64)
def ratings_of_workshops(count: int) -> Sql:
    """?1 … ?count the workshops: (workshop, n, average) of those rated."""
    return Sql(f"SELECT s.workshop AS workshop, {_RATING_COLUMNS}{_RATINGS_FROM} "
               f"WHERE s.workshop IN ({placeholders(1, count)}) GROUP BY s.workshop")


# ?1 host: (n, average) over every workshop they host
RATING_OF_HOST = Sql(f"SELECT {_RATING_COLUMNS}{_RATINGS_FROM} WHERE w.host = ?1")


async def ratings_by_workshop(workshop_ids: Sequence[int]) -> list[Any]:
    """(workshop, n, average) of these (distinct) workshops that have feedback."""
    return await fetch_all(ratings_of_workshops(len(workshop_ids)), *workshop_ids)


async def rating_of_host(host_id: int) -> Any:
    """(n, average) of the host's feedback: one row, n = 0 when there is none."""
    return await fetch_one(RATING_OF_HOST, host_id)


# ?1 recipe, ?2 now: sessions held across its lineage, their communities, attended seats, ratings
RECIPE_RUNS = Sql(
    f"{recipe_chain_held_sessions('?1', '?2')} "
    "SELECT (SELECT COUNT(*) FROM held) AS sessions, "
    "(SELECT COUNT(DISTINCT community_id) FROM held) AS communities, "
    '(SELECT CAST(COALESCE(SUM(b.seats), 0) AS BIGINT) FROM held JOIN booking b ON b."session" = held.session_id'
    f" WHERE b.status = {_sql(BookingStatus.confirmed)} AND b.attendance = {_sql(Attendance.attended)})"
    " AS attended_seats, fr.n, fr.average "
    f'FROM (SELECT {_RATING_COLUMNS} FROM held JOIN booking b ON b."session" = held.session_id'
    " JOIN feedback f ON f.booking = b.id) fr"
)


async def recipe_runs(recipe_id: int, now: dt.datetime) -> Any:
    """One row: `sessions`, `communities`, `attended_seats`, `n` ratings and `average`."""
    return await fetch_one(RECIPE_RUNS, recipe_id, now)


# --------------------------------------------------------------------- a user's own data

async def personal_data(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The user's bookings, waitlist entries, feedback and refunds, with their sessions' workshops."""
    bookings = await (
        Booking.select(
            Booking.id, Booking.session.id.as_alias("session_id"),
            Booking.session.workshop.id.as_alias("workshop_id"),
            Booking.session.workshop.title.as_alias("workshop_title"),
            Booking.session.starts_at.as_alias("starts_at"), Booking.seats, Booking.status,
            Booking.attendance, Booking.amount_cents, Booking.currency, Booking.late_cancellation,
            Booking.refunded_cents, Booking.created_at, Booking.cancelled_at,
        ).where(Booking.user == user_id).order_by(Booking.id)
    )
    refunds = [{**row, "created_at": as_datetime(row["created_at"])}
               for row in await fetch_all(REFUNDS_OF_USER, user_id)]
    waitlist = await (
        WaitlistEntry.select(
            WaitlistEntry.id, WaitlistEntry.session.id.as_alias("session_id"),
            WaitlistEntry.session.workshop.title.as_alias("workshop_title"), WaitlistEntry.seats,
            WaitlistEntry.status, WaitlistEntry.offer_expires_at, WaitlistEntry.created_at,
        ).where(WaitlistEntry.user == user_id).order_by(WaitlistEntry.id)
    )
    feedback = await (
        Feedback.select(
            Feedback.booking.id.as_alias("booking_id"),
            Feedback.booking.session.workshop.title.as_alias("workshop_title"),
            Feedback.rating, Feedback.comment, Feedback.created_at,
        ).where(Feedback.booking.user == user_id).order_by(Feedback.id)
    )
    return {"bookings": bookings, "waitlist_entries": waitlist, "feedback": feedback, "refunds": refunds}


async def erase_feedback_comments(user_id: int) -> None:
    """The user's feedback keeps its rating (for the counts) and loses its comment."""
    await Feedback.update({Feedback.comment: ""}).where(
        Feedback.booking.is_in(Booking.select(Booking.id).where(Booking.user == user_id)))


# ----------------------------------------------------- for notify's read model (views by id)

_VIEW_COLUMNS = f"{WORKSHOP_VIEW_COLUMNS}, {SESSION_VIEW_COLUMNS}, {person_columns('p', 'p_')}"
_BOOKING_VIEW = (
    f"SELECT {_VIEW_COLUMNS},"
    " b.id AS b_id, b.seats AS b_seats, b.status AS b_status, b.attendance AS b_attendance,"
    " b.amount_cents AS b_amount_cents, b.currency AS b_currency, b.created_at AS b_created_at,"
    " b.checkout_url AS b_checkout_url, b.hold_expires_at AS b_hold_expires_at,"
    " b.checkin_code AS b_checkin_code, b.guest_name AS b_guest_name, b.source AS b_source,"
    ' b."user" AS b_user, b.booked_by AS b_booked_by, b.guest_phone AS b_guest_phone, b.guest_note AS b_guest_note'
    # a booking for a neighbour without an account: the relay who made it is told
    + session_view_from("booking", "b") + ' JOIN app_user p ON p.id = COALESCE(b."user", b.booked_by)'
)
BOOKING_VIEW_BY_ID = Sql(f"{_BOOKING_VIEW} WHERE b.id = ?1")
# ?1 booking, ?2 now: the participant answered OUI/YES to a text (the first answer counts)
_CONFIRM_BY_TEXT = Sql(
    f"UPDATE booking SET confirmed_by_text_at = ?2 WHERE id = ?1 AND status = {_CONFIRMED}"
    " AND confirmed_by_text_at IS NULL RETURNING id")


async def confirm_by_text(booking_id: int, now: dt.datetime) -> bool:
    """Record that the participant confirmed by text; False if it was already recorded or the
    booking is no longer confirmed."""
    return bool(await execute(_CONFIRM_BY_TEXT, booking_id, now))


# ?1 the relay: the neighbours' bookings they made, the latest sessions first
NEIGHBOURS_BOOKINGS = Sql(
    f"{_BOOKING_VIEW} WHERE b.booked_by = ?1 AND b.source = 'relay' ORDER BY s.starts_at DESC, b.id DESC LIMIT 200"
)


async def neighbours_bookings(relay_id: int) -> list[Any]:
    return await fetch_all(NEIGHBOURS_BOOKINGS, relay_id)


async def booking_view(booking_id: int) -> Any:
    """A booking with its session, workshop, host, community and the person told of it (the
    participant, or the relay who made it): the printable slip's one read."""
    return await fetch_one(BOOKING_VIEW_BY_ID, booking_id)


# ?1 user: every confirmed booking (the personal calendar feed), oldest session first
# ?1 user, ?2 ending from, ?3 starting before, ?4 at most: the personal feed's bookings, the
# confirmed ones whose session ends from ?2 and starts before ?3, the first ?4 in start order
BOOKING_VIEWS_OF_USER = Sql(f"{_BOOKING_VIEW} WHERE b.\"user\" = ?1 AND b.status = {_CONFIRMED}"
                            " AND s.ends_at >= ?2 AND s.starts_at < ?3 ORDER BY s.starts_at, b.id LIMIT ?4")
# ?1 user, ?2 ending from, ?3 starting before: what the personal feed (BOOKING_VIEWS_OF_USER) is
# made of, without reading it — its validator (notify.service.personal_feed_version): a booking
# made or cancelled changes the count or the sum of ids, an edited session or workshop moves an
# updated_at or a sequence (over the whole window: a superset of the first ?4 is as good)
PERSONAL_FEED_VERSION = Sql(
    "SELECT COUNT(*) AS n, COALESCE(SUM(b.id), 0) AS ids, COALESCE(SUM(s.sequence), 0) AS sequences,"
    " MAX(b.updated_at) AS bookings_changed, MAX(s.updated_at) AS sessions_changed,"
    ' MAX(w.updated_at) AS workshops_changed FROM booking b JOIN workshop_session s ON s.id = b."session"'
    f' JOIN workshop w ON w.id = s."workshop" WHERE b."user" = ?1 AND b.status = {_CONFIRMED}'
    " AND s.ends_at >= ?2 AND s.starts_at < ?3"
)
WAITLIST_ENTRY_VIEW_BY_ID = Sql(
    f"SELECT {_VIEW_COLUMNS},"
    " e.id AS e_id, e.seats AS e_seats, e.status AS e_status, e.offer_expires_at AS e_offer_expires_at"
    + session_view_from("waitlist_entry", "e") + ' JOIN app_user p ON p.id = e."user" WHERE e.id = ?1'
)
# ?1 session[, ?2 booked no later than]: (id, user) of its confirmed bookings
# (a neighbour's booking: the relay who made it)
CONFIRMED_OF_SESSION = Sql(f'SELECT id, COALESCE("user", booked_by) AS "user" FROM booking WHERE "session" = ?1 AND status = {_CONFIRMED} ORDER BY id')
CONFIRMED_OF_SESSION_BOOKED_BY = Sql(
    f'SELECT id, COALESCE("user", booked_by) AS "user" FROM booking WHERE "session" = ?1 AND status = {_CONFIRMED} AND created_at <= ?2 ORDER BY id')
# ?1 session: the host's roster (confirmed bookings with the participant's name)
ROSTER = Sql(
    "SELECT b.id, b.seats, b.attendance, COALESCE(b.guest_name, u.display_name, '') AS display_name FROM booking b"
    ' LEFT JOIN app_user u ON u.id = b."user"'
    f" WHERE b.\"session\" = ?1 AND b.status = {_CONFIRMED} ORDER BY b.created_at, b.id"
)


# ------------------------------------------------------- the attendance report (organizers)
# One statement answers the whole report: every figure is aggregated in the database (GROUP
# BY); the service only turns sums into rates. ?1 community, ?2 from (inclusive), ?3 to
# (exclusive): the sessions of the community's (once published) workshops that start in
# [from, to), through `workshops.repository.community_sessions_from`.

_ATTENDED = _sql(Attendance.attended)
_NO_SHOW = _sql(Attendance.no_show)
_CANCELLED_SESSION = f"'{SessionStatus.cancelled}'"


_WALK_IN = f"b.source = 'walk_in' AND b.status = {_CONFIRMED}"
_FROM_STANDBY = f"b.source = 'standby' AND b.status = {_CONFIRMED}"


def _seats_if(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN b.seats ELSE 0 END)"


# the figures of a session row, then summed per workshop, per host and in all; `open_*` leave
# the cancelled sessions out (the rates' denominators)
REPORT_FIGURES = (
    "sessions", "cancelled_sessions", "capacity", "open_capacity", "booked_seats", "open_booked_seats",
    "attended_seats", "no_show_seats", "open_no_show_seats", "unknown_seats", "late_cancellations",
    "waitlist_length", "waitlist_promoted", "rating_total", "rating_count",
    # the door and the desk (issue 22): bookings made by relays (not cancelled, or released),
    # walk-in seats, standby seats served, seats of no-shows released to standby
    "relay_bookings", "walk_in_seats", "standby_seats_served", "released_no_show_seats",
)
# (BIGINT: PostgreSQL sums bigints as numeric)
_SUMS = ", ".join(f"CAST(SUM({name}) AS BIGINT) AS {name}" for name in REPORT_FIGURES)
_PEOPLE = "new_participants, returning_participants"
_COALESCED_PEOPLE = ("COALESCE(pc.new_participants, 0) AS new_participants, "
                     "COALESCE(pc.returning_participants, 0) AS returning_participants")
_IS_CANCELLED = f"s.status = {_CANCELLED_SESSION}"
_BOOKED = f"b.status = {_CONFIRMED}"
# the people with a confirmed booking of a session of the community (not cancelled) that
# started before the range: a participant of the range among them is returning, others new
_EARLIER = (f'earlier AS (SELECT DISTINCT b."user" AS uid FROM booking b WHERE {_BOOKED} AND b."session" IN '
            f"(SELECT s.id{community_sessions_from('?1', '?2')} AND NOT {_IS_CANCELLED}))")


def _open(aggregate: str) -> str:
    """`aggregate` for a session not cancelled, else 0 (the rates' denominators)."""
    return f"CASE WHEN {_IS_CANCELLED} THEN 0 ELSE {aggregate} END"


def _count_if(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


_BOOKED_SEATS = _seats_if(_BOOKED)
_ATTENDED_SEATS = _seats_if(f"{_BOOKED} AND b.attendance = {_ATTENDED}")
_NO_SHOW_SEATS = _seats_if(f"{_BOOKED} AND b.attendance = {_NO_SHOW}")
_REPORT = (
    f"WITH {_EARLIER}, "
    # the session rows: one pass over the range's sessions with their bookings (with their
    # feedback: at most one each), one aggregate per figure; the waitlist's two counts per
    # session through its index (waitlist_entry_session_status_id)
    f"r AS (SELECT {REPORT_SESSION_COLUMNS}, 1 AS sessions, "
    f"CASE WHEN {_IS_CANCELLED} THEN 1 ELSE 0 END AS cancelled_sessions, "
    f"{_open('s.capacity')} AS open_capacity, {_BOOKED_SEATS} AS booked_seats, "
    f"{_open(_BOOKED_SEATS)} AS open_booked_seats, {_ATTENDED_SEATS} AS attended_seats, "
    f"{_NO_SHOW_SEATS} AS no_show_seats, {_open(_NO_SHOW_SEATS)} AS open_no_show_seats, "
    f"{_BOOKED_SEATS} - {_ATTENDED_SEATS} - {_NO_SHOW_SEATS} AS unknown_seats, "
    f"{_count_if(f'b.status = {_sql(BookingStatus.cancelled)} AND b.late_cancellation')} AS late_cancellations, "
    f'(SELECT COUNT(*) FROM waitlist_entry q WHERE q."session" = s.id AND q.status = {_WAITING}) AS waitlist_length, '
    f'(SELECT COUNT(*) FROM waitlist_entry q WHERE q."session" = s.id AND q.status = {_sql(WaitlistStatus.booked)})'
    " AS waitlist_promoted, "
    "COALESCE(SUM(f.rating), 0) AS rating_total, COUNT(f.rating) AS rating_count, "
    f"{_count_if(f'{_BOOKED} AND e.uid IS NULL')} AS new_participants, "
    f"{_count_if(f'{_BOOKED} AND e.uid IS NOT NULL')} AS returning_participants, "
    f"{_count_if(f'b.source = {chr(39)}relay{chr(39)} AND ({_BOOKED} OR b.released_at IS NOT NULL)')}"
    " AS relay_bookings, "
    f"{_seats_if(_WALK_IN)} AS walk_in_seats, {_seats_if(_FROM_STANDBY)} AS standby_seats_served, "
    f"{_seats_if('b.released_at IS NOT NULL')} AS released_no_show_seats"
    + community_sessions_from("?1", "?3", ' LEFT JOIN booking b ON b."session" = s.id'
                              " LEFT JOIN feedback f ON f.booking = b.id"
                              ' LEFT JOIN earlier e ON e.uid = b."user"')
    + " AND s.starts_at >= ?2 GROUP BY s.id, w.id, h.id), "
    # distinct people (confirmed bookings of sessions not cancelled) per workshop: one each,
    # however many of its sessions they booked (a second pass, over the confirmed bookings only)
    # a guest (no account) is one person per booking: -booking id never meets a user id
    'p AS (SELECT DISTINCT r.workshop_id, r.host_id, COALESCE(b."user", -b.id) AS uid, '
    "CASE WHEN e.uid IS NULL THEN 1 ELSE 0 END AS is_new "
    'FROM r JOIN booking b ON b."session" = r.session_id LEFT JOIN earlier e ON e.uid = b."user" '
    f"WHERE r.cancelled_sessions = 0 AND {_BOOKED}), "
    "pw AS (SELECT workshop_id AS id, SUM(is_new) AS new_participants, COUNT(*) - SUM(is_new) AS returning_participants"
    " FROM p GROUP BY workshop_id), "
    "ph AS (SELECT host_id AS id, SUM(is_new) AS new_participants, COUNT(*) - SUM(is_new) AS returning_participants"
    " FROM (SELECT DISTINCT host_id, uid, is_new FROM p) hp GROUP BY host_id), "
    "pt AS (SELECT SUM(is_new) AS new_participants, COUNT(*) - SUM(is_new) AS returning_participants"
    " FROM (SELECT DISTINCT uid, is_new FROM p) tp) "
    # the rows, then the sums per workshop, per host and in all (rank 0 to 3)
    f"SELECT 0 AS scope_rank, session_id AS id, workshop_id, workshop_title, host_id, host_name, starts_at, timezone, "
    f"{', '.join(REPORT_FIGURES)}, {_PEOPLE} FROM r "
    "UNION ALL "
    f"SELECT 1, g.workshop_id, g.workshop_id, g.workshop_title, g.host_id, NULL, NULL, NULL, "
    f"{', '.join('g.' + name for name in REPORT_FIGURES)}, {_COALESCED_PEOPLE} "
    f"FROM (SELECT workshop_id, workshop_title, host_id, {_SUMS} FROM r GROUP BY workshop_id, workshop_title, host_id) g "
    "LEFT JOIN pw pc ON pc.id = g.workshop_id "
    "UNION ALL "
    f"SELECT 2, g.host_id, NULL, NULL, g.host_id, g.host_name, NULL, NULL, "
    f"{', '.join('g.' + name for name in REPORT_FIGURES)}, {_COALESCED_PEOPLE} "
    f"FROM (SELECT host_id, host_name, {_SUMS} FROM r GROUP BY host_id, host_name) g "
    "LEFT JOIN ph pc ON pc.id = g.host_id "
    "UNION ALL "
    f"SELECT 3, 0, NULL, NULL, NULL, NULL, NULL, NULL, "
    f"{', '.join('COALESCE(g.' + name + ', 0)' for name in REPORT_FIGURES)}, {_COALESCED_PEOPLE} "
    f"FROM (SELECT {_SUMS} FROM r) g CROSS JOIN pt pc "
    "ORDER BY scope_rank, starts_at, id"
)
ATTENDANCE_REPORT = Sql(_REPORT)


async def attendance_report(community_id: int, starts_from: dt.datetime, starts_before: dt.datetime) -> list[Any]:
    """The report over the community's sessions starting in [starts_from, starts_before), in
    one statement: `scope_rank` 0 a session row (`id` the session; in start order), 1 a workshop's
    sums, 2 a host's, 3 the community's (`id` 0). Each has the `REPORT_FIGURES` and
    `new_participants` / `returning_participants` (distinct people in the sums)."""
    return await fetch_all(ATTENDANCE_REPORT, community_id, starts_from, starts_before)


# ============================================ attendance, check-in and feedback (issue 10)
# The roster and the feedback list join the participant (`app_user`, for the name) and take
# their joins to the session and workshop from `workshops.repository` (`session_view_from`).

# ?1 exact code as typed, ?2 its normalised form, ?3 session: the booking holding it there
BOOKING_BY_CODE = Sql(
    f'SELECT {BOOKING_COLUMNS} FROM booking WHERE checkin_code IN (?1, ?2) AND "session" = ?3'
)
SET_ATTENDANCE = Sql("UPDATE booking SET attendance = ?2, updated_at = ?3 WHERE id = ?1")
# ?1 booking, ?2 by whom, ?3 from, ?4 to, ?5 via, ?6 when
INSERT_MARK = Sql(
    "INSERT INTO attendance_mark (booking, marked_by, from_attendance, to_attendance, via, marked_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id"
)
MARKS_OF_BOOKING = Sql(
    "SELECT id, booking, marked_by, from_attendance, to_attendance, via, marked_at "
    "FROM attendance_mark WHERE booking = ?1 ORDER BY id"
)
# ?1 session: its active bookings (kind 'booking') and waitlist entries ('entry') with the
# participants' names, in one statement; `position` counts the waiting entries up to each
ROSTER_OF_SESSION = Sql(
    "SELECT 'booking' AS kind, b.id, COALESCE(b.guest_name, u.display_name, '') AS display_name, b.seats,"
    " b.status, b.attendance, b.amount_cents, b.currency, CAST(NULL AS INTEGER) AS position, b.source,"
    " b.guest_phone, b.guest_note, b.confirmed_by_text_at"
    ' FROM booking b LEFT JOIN app_user u ON u.id = b."user"'
    f' WHERE b."session" = ?1 AND b.status IN ({_ACTIVE_BOOKING})'
    " UNION ALL "
    "SELECT 'entry' AS kind, e.id, u.display_name, e.seats, e.status, NULL, NULL, NULL,"
    f" CASE WHEN e.status = {_WAITING} THEN (SELECT COUNT(*) FROM waitlist_entry o"
    f'  WHERE o."session" = e."session" AND o.status = {_WAITING} AND o.id <= e.id) END, NULL, NULL, NULL, NULL'
    ' FROM waitlist_entry e JOIN app_user u ON u.id = e."user"'
    f' WHERE e."session" = ?1 AND e.status IN ({_ACTIVE_ENTRY})'
    " UNION ALL "
    # the standby list at the door (kind 'standby'): waiting, in order
    "SELECT 'standby' AS kind, d.id, COALESCE(d.name, ''), d.seats, d.status, NULL, NULL, NULL,"
    " (SELECT COUNT(*) FROM standby_entry o WHERE o.\"session\" = d.\"session\" AND o.status = 'waiting'"
    "  AND o.id <= d.id), NULL, NULL, NULL, NULL"
    " FROM standby_entry d WHERE d.\"session\" = ?1 AND d.status = 'waiting'"
)
FEEDBACK_OF_BOOKING = Sql("SELECT id FROM feedback WHERE booking = ?1")
# ?1 booking, ?2 rating, ?3 comment, ?4 now
INSERT_FEEDBACK = Sql(
    "INSERT INTO feedback (booking, rating, comment, created_at, hidden_at, hidden_by) "
    "VALUES (?1, ?2, ?3, ?4, NULL, NULL) RETURNING id"
)
# ?1 workshop, ?2 limit, ?3 offset: its feedback, newest first, with the session's date
FEEDBACK_OF_WORKSHOP = Sql(
    "SELECT f.id, s.id AS session_id, s.starts_at AS session_starts_at, s.timezone AS session_timezone,"
    f" f.rating, f.comment, f.hidden_at, f.created_at{_RATINGS_FROM}"
    " WHERE s.workshop = ?1 ORDER BY f.created_at DESC, f.id DESC LIMIT ?2 OFFSET ?3"
)
# ?1 workshop: (n, average) of all its ratings, hidden comments included
RATING_OF_WORKSHOP = Sql(f"SELECT {_RATING_COLUMNS}{_RATINGS_FROM} WHERE s.workshop = ?1")
# ?1 feedback: with the host and community of its workshop (who may hide it)
FEEDBACK_WITH_PARTIES = Sql(
    "SELECT f.id, f.hidden_at, w.host, w.community, w.status AS workshop_status"
    f"{_RATINGS_FROM} WHERE f.id = ?1"
)
# ?1 feedback, ?2 hidden_at (NULL: shown again), ?3 by whom
HIDE_FEEDBACK = Sql("UPDATE feedback SET hidden_at = ?2, hidden_by = ?3 WHERE id = ?1 RETURNING id")
# ?1 booking: what the emailed feedback page shows (the participant for the language, the
# session for the window, the feedback if given)
FEEDBACK_PAGE_VIEW = Sql(
    f"SELECT {_VIEW_COLUMNS}, b.id AS b_id, b.status AS b_status, b.attendance AS b_attendance,"
    ' b."user" AS b_user, f.id AS f_id, f.rating AS f_rating'
    + session_view_from("booking", "b") + ' JOIN app_user p ON p.id = b."user"'
    " LEFT JOIN feedback f ON f.booking = b.id WHERE b.id = ?1"
)


async def roster_rows(session_id: int) -> list[Any]:
    return await fetch_all(ROSTER_OF_SESSION, session_id)


async def marks_of_booking(booking_id: int) -> list[Any]:
    return await fetch_all(MARKS_OF_BOOKING, booking_id)


async def feedback_of_workshop(workshop_id: int, limit: int, offset: int) -> tuple[list[Any], Any]:
    """A page of the workshop's feedback (newest first) and its (n, average) row."""
    return (await fetch_all(FEEDBACK_OF_WORKSHOP, workshop_id, limit, offset),
            await fetch_one(RATING_OF_WORKSHOP, workshop_id))


async def feedback_with_parties(feedback_id: int) -> Any:
    return await fetch_one(FEEDBACK_WITH_PARTIES, feedback_id)


async def hide_feedback(feedback_id: int, hidden_at: dt.datetime | None, by: int | None) -> bool:
    return await execute(HIDE_FEEDBACK, feedback_id, hidden_at, by) > 0


async def feedback_page_view(booking_id: int) -> Any:
    return await fetch_one(FEEDBACK_PAGE_VIEW, booking_id)


# ------------------------------------------------------------------------------- payments

_PENDING_REFUND = _sql(RefundStatus.pending)
_SUCCEEDED_REFUND = _sql(RefundStatus.succeeded)
# ?1 booking: a Checkout Session's ingredients (outside any transaction: the service calls
# Stripe between the hold's transaction and the one recording the Checkout Session)
CHECKOUT_FACTS = Sql(
    f"SELECT {_VIEW_COLUMNS}, b.id AS b_id, b.\"user\" AS b_user, b.seats AS b_seats, b.status AS b_status,"
    " b.amount_cents AS b_amount_cents, b.currency AS b_currency, b.hold_expires_at AS b_hold_expires_at,"
    " b.checkout_session_id AS b_checkout_session_id, b.checkout_url AS b_checkout_url"
    + session_view_from("booking", "b") + ' JOIN app_user p ON p.id = b."user" WHERE b.id = ?1'
)
# ?1 booking: the payment columns the webhook operations check
PAYMENT_OF_BOOKING = Sql(
    "SELECT id, \"session\", \"user\", seats, status, amount_cents, currency, checkout_session_id, "
    "payment_intent_id, refunded_cents, refund_status, hold_expires_at FROM booking WHERE id = ?1"
)
BOOKING_OF_CHECKOUT = Sql("SELECT id FROM booking WHERE checkout_session_id = ?1")
BOOKING_OF_PAYMENT_INTENT = Sql("SELECT id FROM booking WHERE payment_intent_id = ?1")
# ?1 booking, ?2 Checkout Session id, ?3 its URL, ?4 now: only while the hold is open and has
# none yet (two requests racing: the first recorded is the one)
RECORD_CHECKOUT = Sql(
    "UPDATE booking SET checkout_session_id = ?2, checkout_url = ?3, updated_at = ?4 "
    f"WHERE id = ?1 AND status = {_HELD} AND checkout_session_id IS NULL"
)
# ?1 booking, ?2 now: a hold whose Checkout Session could not be opened gives its seat back
RELEASE_HOLD = Sql(
    f"UPDATE booking SET status = {_sql(BookingStatus.expired)}, active_slot = NULL, hold_expires_at = NULL, "
    f"cancelled_by = 'system', updated_at = ?2 WHERE id = ?1 AND status = {_HELD} AND checkout_session_id IS NULL"
)
# ?1 booking, ?2 the hold's new end, ?3 now: a hold opened a while ago (by the waitlist) gets
# the 30 minutes Stripe's Checkout needs, once (before it has a Checkout Session)
EXTEND_HOLD = Sql(
    f"UPDATE booking SET hold_expires_at = ?2, updated_at = ?3 WHERE id = ?1 AND status = {_HELD} "
    "AND checkout_session_id IS NULL AND hold_expires_at < ?2 RETURNING hold_expires_at"
)
# ?1 session, ?2 the cancellation's instant: the holds it ended, whose Checkout pages must close
CANCELLED_CHECKOUTS = Sql(
    f"SELECT checkout_session_id FROM booking WHERE \"session\" = ?1 AND status = {_sql(BookingStatus.cancelled)} "
    "AND cancelled_at = ?2 AND payment_intent_id IS NULL AND checkout_session_id IS NOT NULL"
)
SET_REFUND_AMOUNT = Sql("UPDATE refund SET amount_cents = ?2 WHERE id = ?1")
# ?1 refund, ?2 why, ?3 now: Stripe refused it, or there is nothing left to refund there
FAIL_REFUND = Sql(
    f"UPDATE refund SET status = {_sql(RefundStatus.failed)}, last_error = ?2, next_attempt_at = NULL, "
    f"updated_at = ?3 WHERE id = ?1 AND status = {_PENDING_REFUND}"
)
# ?1 booking: a retried request with the same Idempotency-Key tries again instead of
# answering the released hold
FORGET_KEY_OF_BOOKING = Sql("DELETE FROM booking_idempotency_key WHERE booking_id = ?1")
# ?1 booking, ?2 status (confirmed), ?3 active slot, ?4 now: a hold confirmed, or a lapsed
# one revived by a late payment (its seat checked free in the same transaction)
CONFIRM_PAID = Sql(
    "UPDATE booking SET status = ?2, active_slot = ?3, hold_expires_at = NULL, cancelled_by = NULL, "
    "updated_at = ?4 WHERE id = ?1"
)
# ?1 booking, ?2 Checkout Session id, ?3 payment intent, ?4 now
RECORD_PAYMENT = Sql(
    "UPDATE booking SET checkout_session_id = COALESCE(checkout_session_id, ?2), payment_intent_id = ?3, "
    "updated_at = ?4 WHERE id = ?1"
)
# ?1 booking, ?2 payment intent, ?3 now (a refund may be heard of before the payment itself)
SET_PAYMENT_INTENT = Sql(
    "UPDATE booking SET payment_intent_id = COALESCE(payment_intent_id, ?2), updated_at = ?3 WHERE id = ?1"
)
# ?1 booking, ?2 now: a hold that Stripe says will not be paid (expired, async payment failed)
EXPIRE_HOLD = Sql(
    f"UPDATE booking SET status = {_sql(BookingStatus.expired)}, active_slot = NULL, updated_at = ?2 "
    f"WHERE id = ?1 AND status = {_HELD}"
)
# ?1 event id, ?2 type, ?3 booking, ?4 now: None when the event was seen before
CLAIM_EVENT = Sql(
    "INSERT INTO payment_event (event_id, type, booking, received_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (event_id) DO NOTHING RETURNING id"
)
EVENT_SEEN = Sql("SELECT id FROM payment_event WHERE event_id = ?1")
# ?1 booking, ?2 reason, ?3 started by, ?4 now: a refund of what the booking paid and has not
# got back yet (nothing when it was never paid); one per booking of ours
REFUND_BOOKING = Sql(
    "INSERT INTO refund (booking, amount_cents, currency, reason, started_by, status, attempts, "
    "next_attempt_at, last_error, dedupe_key, created_at, updated_at) "
    f"SELECT id, amount_cents - refunded_cents, currency, ?2, ?3, {_PENDING_REFUND}, 0, ?4, '', "
    "'booking:' || CAST(id AS TEXT), ?4, ?4 FROM booking "
    "WHERE id = ?1 AND payment_intent_id IS NOT NULL AND amount_cents > refunded_cents "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)
# ?1 session, ?2 now (the cancellation's instant), ?3 started by: every paid booking the
# session's cancellation just cancelled
REFUND_SESSION_BOOKINGS = Sql(
    "INSERT INTO refund (booking, amount_cents, currency, reason, started_by, status, attempts, "
    "next_attempt_at, last_error, dedupe_key, created_at, updated_at) "
    f"SELECT id, amount_cents - refunded_cents, currency, 'session_cancelled', ?3, {_PENDING_REFUND}, 0, ?2, '', "
    "'booking:' || CAST(id AS TEXT), ?2, ?2 FROM booking "
    f"WHERE \"session\" = ?1 AND status = {_sql(BookingStatus.cancelled)} AND cancelled_at = ?2 "
    "AND payment_intent_id IS NOT NULL AND amount_cents > refunded_cents "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING booking"
)
# ?1 booking, ?2 refund status
SET_REFUND_STATUS = Sql("UPDATE booking SET refund_status = ?2 WHERE id = ?1")
# ?1 refund id
REFUND_BY_ID = Sql(
    "SELECT r.id, r.booking, r.amount_cents, r.currency, r.status, r.attempts, r.stripe_refund_id, "
    "b.payment_intent_id, b.\"user\" FROM refund r JOIN booking b ON b.id = r.booking WHERE r.id = ?1"
)
REFUND_BY_STRIPE_ID = Sql("SELECT id, status FROM refund WHERE stripe_refund_id = ?1")
# ?1 now, ?2 limit: what the worker sends to Stripe next
DUE_REFUNDS = Sql(
    f"SELECT id FROM refund WHERE status = {_PENDING_REFUND} AND next_attempt_at <= ?1 "
    "ORDER BY next_attempt_at, id LIMIT ?2"
)
# ?1 refund, ?2 status, ?3 Stripe's refund id, ?4 now
SET_REFUND = Sql(
    "UPDATE refund SET status = ?2, stripe_refund_id = COALESCE(stripe_refund_id, ?3), next_attempt_at = NULL, "
    "last_error = '', updated_at = ?4 WHERE id = ?1"
)
# ?1 refund, ?2 error, ?3 next attempt, ?4 now (only while still pending)
REFUND_FAILED_ATTEMPT = Sql(
    "UPDATE refund SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3, updated_at = ?4 "
    f"WHERE id = ?1 AND status = {_PENDING_REFUND}"
)
# ?1 booking, ?2 amount, ?3 currency, ?4 Stripe refund id, ?5 status, ?6 now: a refund made in
# Stripe's dashboard (or anywhere but here)
EXTERNAL_REFUND = Sql(
    "INSERT INTO refund (booking, amount_cents, currency, reason, started_by, status, attempts, "
    "next_attempt_at, last_error, dedupe_key, stripe_refund_id, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, 'external', 'stripe', ?5, 0, NULL, '', 'stripe:' || CAST(?4 AS TEXT), ?4, ?6, ?6) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)
# ?1 booking: what Stripe has given back, and the latest refund's status
SYNC_REFUNDED = Sql(
    f"UPDATE booking SET refunded_cents = COALESCE((SELECT SUM(amount_cents) FROM refund "
    f"WHERE booking = ?1 AND status = {_SUCCEEDED_REFUND}), 0), "
    "refund_status = (SELECT status FROM refund WHERE booking = ?1 ORDER BY id DESC LIMIT 1) WHERE id = ?1"
)
REFUNDS_OF_USER = Sql(
    "SELECT r.id, r.booking AS booking_id, r.amount_cents, r.currency, r.reason, r.status, r.created_at "
    "FROM refund r JOIN booking b ON b.id = r.booking WHERE b.\"user\" = ?1 ORDER BY r.id"
)


async def checkout_facts(booking_id: int) -> Any:
    return await fetch_one(CHECKOUT_FACTS, booking_id)


async def payment_of_booking(booking_id: int) -> Any:
    return await fetch_one(PAYMENT_OF_BOOKING, booking_id)


async def cancelled_checkouts(session_id: int, cancelled_at: dt.datetime) -> list[str]:
    return [row["checkout_session_id"] for row in await fetch_all(CANCELLED_CHECKOUTS, session_id, cancelled_at)]


async def booking_of_checkout(checkout_session_id: str) -> int | None:
    row = await fetch_one(BOOKING_OF_CHECKOUT, checkout_session_id)
    return row["id"] if row else None


async def booking_of_payment_intent(payment_intent_id: str) -> int | None:
    row = await fetch_one(BOOKING_OF_PAYMENT_INTENT, payment_intent_id)
    return row["id"] if row else None


async def event_seen(event_id: str) -> bool:
    return await fetch_one(EVENT_SEEN, event_id) is not None


async def due_refunds(now: dt.datetime, limit: int) -> list[int]:
    return [row["id"] for row in await fetch_all(DUE_REFUNDS, now, limit)]


async def refund_by_id(refund_id: int) -> Any:
    return await fetch_one(REFUND_BY_ID, refund_id)
