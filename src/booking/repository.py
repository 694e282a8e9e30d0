"""Every query on booking's tables (`booking`, `booking_idempotency_key`, `waitlist_entry`,
`feedback`), as `Sql` statements in one place.

Documented cross-package statements (one query each, for speed):
- `LOCK_AND_COUNT` takes `workshops.repository.lock_session` and adds the seat counts;
- the notification read model's booking and waitlist views join the session, workshop,
  host, community and participant through `workshops.repository`'s and
  `accounts.repository`'s fragments.
"""
from __future__ import annotations

from accounts.repository import person_columns
from kernel.sql import Sql
from workshops.repository import (
    SESSION_VIEW_COLUMNS,
    WORKSHOP_VIEW_COLUMNS,
    lock_session,
    session_view_from,
)

# ------------------------------------------------------------- the booking engine's operations

# ?1 session, ?2 now, ?3 the asking participant's active_slot ('' for nobody)
_OCCUPANCY_COLUMNS = (
    "(SELECT COALESCE(SUM(seats), 0) FROM booking WHERE \"session\" = ?1 AND status = 'confirmed') + "
    "(SELECT COALESCE(SUM(seats), 0) FROM booking WHERE \"session\" = ?1 AND status = 'pending_payment' "
    " AND hold_expires_at > ?2) AS booked, "
    "(SELECT COALESCE(SUM(seats), 0) FROM waitlist_entry WHERE \"session\" = ?1 AND status = 'offered' "
    " AND offer_expires_at > ?2) AS offered, "
    "(SELECT COUNT(*) FROM waitlist_entry WHERE \"session\" = ?1 AND status = 'waiting') AS waiting, "
    "(SELECT COUNT(*) FROM booking WHERE \"session\" = ?1 AND status = 'pending_payment' "
    " AND hold_expires_at <= ?2) + "
    "(SELECT COUNT(*) FROM waitlist_entry WHERE \"session\" = ?1 AND status = 'offered' "
    " AND offer_expires_at <= ?2) AS due, "
    "EXISTS (SELECT 1 FROM booking WHERE active_slot = ?3) AS has_booking, "
    "EXISTS (SELECT 1 FROM waitlist_entry WHERE active_slot = ?3) AS has_entry"
)
OCCUPANCY = Sql(f"SELECT {_OCCUPANCY_COLUMNS}")
# SQLite only (its writer already holds the write lock): the session and its seats in one
# statement. PostgreSQL must lock the row first and count in a later statement, whose
# snapshot then includes whatever the previous lock holder committed.
LOCK_AND_COUNT = lock_session(_OCCUPANCY_COLUMNS)
EXPIRE_HOLDS = Sql(
    "UPDATE booking SET status = 'expired', active_slot = NULL, updated_at = ?2 "
    "WHERE \"session\" = ?1 AND status = 'pending_payment' AND hold_expires_at <= ?2 "
    "RETURNING id, \"user\""
)
EXPIRE_OFFERS = Sql(
    "UPDATE waitlist_entry SET status = 'expired', active_slot = NULL, updated_at = ?2 "
    "WHERE \"session\" = ?1 AND status = 'offered' AND offer_expires_at <= ?2 "
    "RETURNING id, \"user\""
)
WAITING_THAT_FIT = Sql(
    "SELECT id, \"user\", seats FROM waitlist_entry "
    "WHERE \"session\" = ?1 AND status = 'waiting' AND seats <= ?2 ORDER BY id"
)
INSERT_BOOKING = Sql(
    "INSERT INTO booking (\"session\", \"user\", seats, status, attendance, amount_cents, currency, "
    "late_cancellation, hold_expires_at, checkin_code, active_slot, waitlist_entry_id, created_at, "
    "updated_at) VALUES (?1, ?2, ?3, ?4, 'unknown', ?5, ?6, false, ?7, ?8, ?9, ?10, ?11, ?11) "
    "RETURNING id"
)
BOOKING_COLUMNS = (
    "id, \"session\", \"user\", seats, status, attendance, amount_cents, currency, "
    "late_cancellation, checkout_url, hold_expires_at, checkin_code, created_at"
)
SELECT_BOOKING = Sql(f"SELECT {BOOKING_COLUMNS} FROM booking WHERE id = ?1")
CONFIRM_HOLD = Sql(
    "UPDATE booking SET status = 'confirmed', hold_expires_at = NULL, updated_at = ?2 WHERE id = ?1"
)
CANCEL_BOOKING = Sql(
    "UPDATE booking SET status = 'cancelled', active_slot = NULL, late_cancellation = ?2, "
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
    "booking_id, created_at, updated_at) VALUES (?1, ?2, ?3, 'waiting', NULL, ?4, NULL, ?5, ?5) "
    "RETURNING id"
)
SELECT_ENTRY = Sql(
    "SELECT id, \"session\", \"user\", seats, status, offer_expires_at, booking_id "
    "FROM waitlist_entry WHERE id = ?1"
)
CLOSE_ENTRY = Sql(  # booked or withdrawn
    "UPDATE waitlist_entry SET status = ?2, active_slot = NULL, booking_id = ?3, updated_at = ?4 "
    "WHERE id = ?1"
)
OFFER_ENTRY = Sql(
    "UPDATE waitlist_entry SET status = 'offered', offer_expires_at = ?2, updated_at = ?3 WHERE id = ?1"
)
CANCEL_SESSION_BOOKINGS = Sql(
    "UPDATE booking SET status = 'cancelled', active_slot = NULL, cancelled_at = ?2, cancelled_by = ?3, "
    "updated_at = ?2 WHERE \"session\" = ?1 AND status IN ('confirmed', 'pending_payment') RETURNING id"
)
WITHDRAW_SESSION_ENTRIES = Sql(
    "UPDATE waitlist_entry SET status = 'withdrawn', active_slot = NULL, updated_at = ?2 "
    "WHERE \"session\" = ?1 AND status IN ('waiting', 'offered')"
)
CONFIRMED_BOOKING_IDS = Sql(
    "SELECT id FROM booking WHERE \"session\" = ?1 AND status = 'confirmed' ORDER BY id"
)
USER_ACTIVE_BOOKINGS = Sql(
    "SELECT id FROM booking WHERE \"session\" = ?1 AND \"user\" = ?2 "
    "AND status IN ('confirmed', 'pending_payment')"
)
USER_ACTIVE_ENTRIES = Sql(
    "SELECT id, status FROM waitlist_entry WHERE \"session\" = ?1 AND \"user\" = ?2 "
    "AND status IN ('waiting', 'offered')"
)


# ----------------------------------------------------- for notify's read model (views by id)

_VIEW_COLUMNS = f"{WORKSHOP_VIEW_COLUMNS}, {SESSION_VIEW_COLUMNS}, {person_columns('p', 'p_')}"
_BOOKING_VIEW = (
    f"SELECT {_VIEW_COLUMNS},"
    " b.id AS b_id, b.seats AS b_seats, b.status AS b_status, b.attendance AS b_attendance,"
    " b.amount_cents AS b_amount_cents, b.currency AS b_currency, b.created_at AS b_created_at,"
    " b.checkout_url AS b_checkout_url, b.hold_expires_at AS b_hold_expires_at"
    + session_view_from("booking", "b") + ' JOIN app_user p ON p.id = b."user"'
)
BOOKING_VIEW_BY_ID = Sql(f"{_BOOKING_VIEW} WHERE b.id = ?1")
# ?1 user: every confirmed booking (the personal calendar feed), oldest session first
BOOKING_VIEWS_OF_USER = Sql(f"{_BOOKING_VIEW} WHERE b.\"user\" = ?1 AND b.status = 'confirmed' ORDER BY s.starts_at, b.id")
WAITLIST_ENTRY_VIEW_BY_ID = Sql(
    f"SELECT {_VIEW_COLUMNS},"
    " e.id AS e_id, e.seats AS e_seats, e.status AS e_status, e.offer_expires_at AS e_offer_expires_at"
    + session_view_from("waitlist_entry", "e") + ' JOIN app_user p ON p.id = e."user" WHERE e.id = ?1'
)
# ?1 session[, ?2 booked no later than]: (id, user) of its confirmed bookings
CONFIRMED_OF_SESSION = Sql('SELECT id, "user" FROM booking WHERE "session" = ?1 AND status = \'confirmed\' ORDER BY id')
CONFIRMED_OF_SESSION_BOOKED_BY = Sql(
    'SELECT id, "user" FROM booking WHERE "session" = ?1 AND status = \'confirmed\' AND created_at <= ?2 ORDER BY id')
# ?1 session: the host's roster (confirmed bookings with the participant's name)
ROSTER = Sql(
    "SELECT b.id, b.seats, b.attendance, u.display_name FROM booking b"
    ' JOIN app_user u ON u.id = b."user"'
    " WHERE b.\"session\" = ?1 AND b.status = 'confirmed' ORDER BY b.created_at, b.id"
)
