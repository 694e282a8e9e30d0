"""Every query on workshops' tables (`workshop`, `workshop_session`) that other packages run.

Documented cross-package statements (one query each, for speed):
- the booking engine's session lock (`lock_session`) and its session writes
  (`CHANGE_SESSION`, `CANCEL_SESSION`), run inside its serialised transaction;
- the notification read model's workshop and session views (`WORKSHOP_VIEW_*`,
  `SESSION_VIEW_*`), which join the host (`app_user`) and the `community` through
  `accounts.repository`'s fragments.
"""
from __future__ import annotations

from accounts.repository import person_columns
from kernel.sql import Sql

# -------------------------------------------------- for the booking engine's serialised operations

SESSION_FOR_BOOKING_COLUMNS = (
    "s.id, s.workshop, s.starts_at, s.ends_at, s.timezone, s.capacity, s.status, s.sequence, "
    "w.host, w.community, w.status AS workshop_status, w.payment, w.price_cents, w.currency, "
    "w.max_seats_per_booking, w.waitlist_enabled, w.waitlist_mode, w.offer_ttl_minutes, "
    "w.cancellation_deadline_hours"
)
_SESSION_FOR_BOOKING_FROM = " FROM workshop_session s JOIN workshop w ON w.id = s.workshop WHERE s.id = ?1"


def lock_session(extra_columns: str = "") -> Sql:
    """The session ?1 with what booking needs of its workshop, row-locked on PostgreSQL
    (`FOR UPDATE OF s`). `extra_columns` adds the caller's own columns (e.g. seat counts that
    SQLite, whose writer already holds the write lock, may read in the same statement)."""
    extra = f", {extra_columns}" if extra_columns else ""
    return Sql(f"SELECT {SESSION_FOR_BOOKING_COLUMNS}{extra}{_SESSION_FOR_BOOKING_FROM}",
               pg_suffix="" if extra_columns else " FOR UPDATE OF s")


CHANGE_SESSION = Sql(
    "UPDATE workshop_session SET starts_at = ?2, ends_at = ?3, timezone = ?4, capacity = ?5, "
    "sequence = ?6, updated_at = ?7 WHERE id = ?1"
)
CANCEL_SESSION = Sql(
    "UPDATE workshop_session SET status = 'cancelled', sequence = ?2, cancel_reason = ?3, "
    "updated_at = ?4 WHERE id = ?1"
)

# ----------------------------------------------------- for notify's read model (views by id)

WORKSHOP_VIEW_COLUMNS = (
    "w.id AS w_id, w.title AS w_title, w.summary AS w_summary, w.status AS w_status,"
    " w.venue_name AS w_venue_name, w.venue_address AS w_venue_address,"
    " w.venue_lat AS w_lat, w.venue_lon AS w_lon, w.online_url AS w_online_url,"
    " w.payment AS w_payment, w.price_cents AS w_price_cents, w.currency AS w_currency,"
    " w.rejection_reason AS w_rejection_reason, "
    + person_columns("h", "h_")
    + ", c.id AS c_id, c.slug AS c_slug, c.name AS c_name, c.timezone AS c_timezone"
)
WORKSHOP_VIEW_JOINS = ' JOIN app_user h ON h.id = w."host" JOIN community c ON c.id = w."community"'
SESSION_VIEW_COLUMNS = (
    "s.id AS s_id, s.starts_at AS s_starts_at, s.ends_at AS s_ends_at, s.timezone AS s_timezone,"
    " s.capacity AS s_capacity, s.status AS s_status, s.sequence AS s_sequence,"
    " s.cancel_reason AS s_cancel_reason, s.created_at AS s_created_at"
)
# FROM clause of a session view: a query on table `alias` whose session column is `column`
def session_view_from(table: str, alias: str, column: str = '"session"') -> str:
    return (f" FROM {table} {alias} JOIN workshop_session s ON s.id = {alias}.{column}"
            f' JOIN workshop w ON w.id = s."workshop"{WORKSHOP_VIEW_JOINS}')


WORKSHOP_VIEW_BY_ID = Sql(f"SELECT {WORKSHOP_VIEW_COLUMNS} FROM workshop w{WORKSHOP_VIEW_JOINS} WHERE w.id = ?1")
SESSION_VIEW_BY_ID = Sql(
    f"SELECT {WORKSHOP_VIEW_COLUMNS}, {SESSION_VIEW_COLUMNS} FROM workshop_session s"
    f' JOIN workshop w ON w.id = s."workshop"{WORKSHOP_VIEW_JOINS} WHERE s.id = ?1'
)
