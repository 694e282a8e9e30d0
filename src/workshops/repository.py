"""Every query on workshops' tables (`workshop`, `workshop_session`): Piccolo queries as
functions, raw statements as `Sql` (numbered `?N` parameters).

Documented cross-package statements (one query each, for speed):
- the booking engine's session lock (`lock_session`) and its session writes
  (`CHANGE_SESSION`, `CANCEL_SESSION`), run inside its serialised transaction;
- the notification read model's workshop and session views (`WORKSHOP_VIEW_*`,
  `SESSION_VIEW_*`), which join the host (`app_user`) and the `community` through
  `accounts.repository`'s fragments;
- the sessions of a community's date range with their workshop and host
  (`REPORT_SESSION_COLUMNS`, `community_sessions_from`), which booking's attendance report
  aggregates its rows over in one statement.
The listing and the workshop pages read seat counts and ratings from the booking side through
the `BookingStats` port (`runtime.booking_stats`), never by joining booking's tables here.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from accounts.repository import person_columns
from kernel.sql import (
    Sql,
    UniqueViolation,
    execute,
    fetch_all,
    fetch_one,
    fetch_value,
    is_postgres,
    placeholders,
    unique_violations,
)
from workshops import rules
from workshops.enums import SessionStatus, WorkshopStatus
from workshops.tables import Recipe, Workshop, WorkshopSession

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
    f"UPDATE workshop_session SET status = '{SessionStatus.cancelled}', sequence = ?2, "
    "cancel_reason = ?3, updated_at = ?4 WHERE id = ?1"
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


# ------------------------------------------------------------------------------- workshops

# Reads are raw statements (one round trip, no query building): every workshop column, with the
# community's slug and the host's name and erasure (`community_slug`, `host_display_name`,
# `host_deleted_at`; never the host's email: calendars name the instance's sender), joined as in the
# notification views (WORKSHOP_VIEW_JOINS).
_WORKSHOP_ROW_COLUMNS = ", ".join(
    # Column._meta (private): Piccolo has no public accessor for a column's name in the database
    [f'w."{column._meta.db_column_name}"' for column in Workshop.all_columns()]
    + ["c.slug AS community_slug", "h.display_name AS host_display_name",
       "h.deleted_at AS host_deleted_at"])
SESSION_ROW_COLUMNS = ('s.id, s."workshop", s.starts_at, s.ends_at, s.timezone, s.capacity, s.status, '
                       "s.sequence, s.cancel_reason")
# the workshop's next scheduled session from ?1 (now), as `next_*` columns (NULL when none)
_NEXT_SESSION_COLUMNS = ", ".join(
    f"ns.{c} AS next_{c}" for c in ("id", "starts_at", "ends_at", "timezone", "capacity", "status",
                                     "sequence", "cancel_reason"))


@functools.lru_cache(maxsize=256)
def _workshops_by_id(count: int, with_next: bool) -> Sql:
    if not with_next:
        return Sql(f"SELECT {_WORKSHOP_ROW_COLUMNS} FROM workshop w{WORKSHOP_VIEW_JOINS}"
                   f" WHERE w.id IN ({placeholders(1, count)})")
    return Sql(
        f"SELECT {_WORKSHOP_ROW_COLUMNS}, {_NEXT_SESSION_COLUMNS} FROM workshop w{WORKSHOP_VIEW_JOINS}"
        f" LEFT JOIN workshop_session ns ON ns.id = ({_next_session('id', 1)})"
        f" WHERE w.id IN ({placeholders(2, count)})")


async def workshop_rows(workshop_ids: Sequence[int]) -> list[Any]:
    """The workshops with these (distinct) ids, any status (`tags` as stored: JSON text)."""
    return await fetch_all(_workshops_by_id(len(workshop_ids), False), *workshop_ids)


async def workshop_rows_with_next_session(workshop_ids: Sequence[int], now: dt.datetime) -> list[Any]:
    """As `workshop_rows`, each with its next scheduled session from `now` as `next_id`,
    `next_starts_at`, … (NULL when none): one statement for a page of the listing."""
    return await fetch_all(_workshops_by_id(len(workshop_ids), True), now, *workshop_ids)


async def find_workshop_id(host_id: int, title: str) -> int | None:
    """The host's (oldest) workshop with this exact title, if any."""
    row = await Workshop.select(Workshop.id).where(
        (Workshop.host == host_id) & (Workshop.title == title)).order_by(Workshop.id).first()
    return row["id"] if row else None


async def insert_workshop(values: Mapping[str, Any]) -> int:
    """A new workshop from its column values by name; returns its id."""
    workshop = Workshop(**values)
    await Workshop.insert(workshop)
    return workshop.id


_DESCRIPTION_HTML = Sql("SELECT description_html FROM workshop WHERE id = ?1")


async def description_html(workshop_id: int) -> str:
    return await fetch_value(_DESCRIPTION_HTML, workshop_id) or ""


async def update_workshop(workshop_id: int, values: Mapping[str, Any]) -> None:
    await Workshop.update(dict(values)).where(Workshop.id == workshop_id)


async def change_status(workshop_id: int, from_status: str, values: Mapping[str, Any]) -> bool:
    """Write `values` (the new `status` among them) only if the status is still `from_status`;
    False when a concurrent change came first."""
    changed = await Workshop.update(dict(values)).where(
        (Workshop.id == workshop_id) & (Workshop.status == from_status)
    ).returning(Workshop.id)
    return bool(changed)


_LOCK_WORKSHOP = Sql("SELECT id FROM workshop WHERE id = ?1", pg_suffix=" FOR UPDATE")


async def lock_workshop(workshop_id: int) -> None:
    """Row-lock the workshop in the caller's write transaction on PostgreSQL (SQLite's
    BEGIN IMMEDIATE already serialises writers)."""
    if is_postgres():
        await execute(_LOCK_WORKSHOP, workshop_id)


async def hosted_workshops(user_id: int) -> list[dict[str, Any]]:
    """A host's workshops for their data export: id, community (slug), title, summary, status,
    created_at."""
    return await (
        Workshop.select(Workshop.id, Workshop.community.slug.as_alias("community"), Workshop.title,
                        Workshop.summary, Workshop.status, Workshop.created_at)
        .where(Workshop.host == user_id).order_by(Workshop.id)
    )


async def workshop_ids_of_host(host_id: int, limit: int) -> list[int]:
    """The host's workshops, any status, the most recently changed first."""
    rows = await Workshop.select(Workshop.id).where(Workshop.host == host_id).order_by(
        Workshop.updated_at, ascending=False).order_by(Workshop.id, ascending=False).limit(limit)
    return [r["id"] for r in rows]


# what waits for moderation: a submitted workshop, or a published one's pending revision
_WAITING = (f"(w.status = '{WorkshopStatus.submitted}' OR (w.status = '{WorkshopStatus.published}'"
            " AND w.revision_submitted_at IS NOT NULL))")
# since when it waits (a submitted workshop: its last change)
_WAITING_SINCE = "COALESCE(w.revision_submitted_at, w.updated_at)"


@functools.lru_cache(maxsize=64)
def _waiting_ids(count: int | None) -> Sql:
    where = "" if count is None else f' AND w."community" IN ({placeholders(2, count)})'
    return Sql(f"SELECT w.id FROM workshop w WHERE {_WAITING}{where}"
               f" ORDER BY {_WAITING_SINCE}, w.id LIMIT ?1")


async def submitted_workshop_ids(community_ids: Sequence[int] | None, limit: int) -> list[int]:
    """What waits for moderation (submitted workshops and published ones with a pending revision),
    the longest waiting first, in these communities (None: every community)."""
    if community_ids is not None and not community_ids:
        return []
    ids = None if community_ids is None else list(community_ids)
    rows = await fetch_all(_waiting_ids(None if ids is None else len(ids)), limit, *(ids or ()))
    return [r["id"] for r in rows]


_WAITING_COUNT_ALL = Sql(f"SELECT count(*) FROM workshop w WHERE {_WAITING}")


@functools.cache
def _organizer_nav() -> Sql:
    from accounts.repository import ORGANIZED_COMMUNITIES
    count_them = ORGANIZED_COMMUNITIES.replace('SELECT o."community"', "SELECT count(*)", 1)
    return Sql(f"SELECT ({count_them}) AS communities,"
               f' (SELECT count(*) FROM workshop w WHERE {_WAITING} AND w."community" IN ({ORGANIZED_COMMUNITIES}))'
               " AS waiting")


async def waiting_count(user_id: int | None) -> int:
    """How many workshops wait for moderation in every community (an admin's count)."""
    return int(await fetch_value(_WAITING_COUNT_ALL) or 0)


async def organizer_nav(user_id: int) -> tuple[int, int]:
    """(how many communities user ?1 organizes, how many workshops wait for moderation in them):
    one statement, for the header of every page, the organizer rows read in it through
    `accounts.repository.ORGANIZED_COMMUNITIES`."""
    row = await fetch_one(_organizer_nav(), user_id)
    return int(row["communities"] or 0), int(row["waiting"] or 0)


# -------------------------------------------------------------------------------- sessions

_SESSION_BY_ID = Sql(f"SELECT {SESSION_ROW_COLUMNS} FROM workshop_session s WHERE s.id = ?1")
_SESSIONS_OF = Sql(f'SELECT {SESSION_ROW_COLUMNS} FROM workshop_session s WHERE s."workshop" = ?1'
                   " ORDER BY s.starts_at, s.id")


@functools.lru_cache(maxsize=64)
def _sessions_by_id(count: int) -> Sql:
    return Sql(f"SELECT {SESSION_ROW_COLUMNS} FROM workshop_session s"
               f" WHERE s.id IN ({placeholders(1, count)}) ORDER BY s.starts_at, s.id")


async def session_row(session_id: int) -> Any:
    return await fetch_one(_SESSION_BY_ID, session_id)


async def session_rows(session_ids: Sequence[int]) -> list[Any]:
    """These sessions, in start order."""
    ids = sorted(set(session_ids))
    return await fetch_all(_sessions_by_id(len(ids)), *ids) if ids else []


@functools.lru_cache(maxsize=64)
def _upcoming_of(count: int) -> Sql:
    return Sql(f"SELECT {SESSION_ROW_COLUMNS} FROM workshop_session s"
               f" WHERE s.\"workshop\" IN ({placeholders(2, count)}) AND s.status = '{SessionStatus.scheduled}'"
               " AND s.starts_at >= ?1 ORDER BY s.starts_at, s.id")


async def upcoming_sessions_of(workshop_ids: Sequence[int], now: dt.datetime) -> list[Any]:
    """The scheduled sessions of these (distinct) workshops starting from `now`, in start order."""
    return await fetch_all(_upcoming_of(len(workshop_ids)), now, *workshop_ids) if workshop_ids else []


async def sessions_of(workshop_id: int) -> list[Any]:
    """Every session of the workshop, any status, in start order."""
    return await fetch_all(_SESSIONS_OF, workshop_id)


# ?1 community, ?2 ending from, ?3 starting before: the community feed's sessions
_FEED_FROM = (
    ' FROM workshop_session s JOIN workshop w ON w.id = s."workshop"'
    f" WHERE w.\"community\" = ?1 AND w.status = '{WorkshopStatus.published}'"
    f" AND s.status = '{SessionStatus.scheduled}' AND s.ends_at >= ?2 AND s.starts_at < ?3"
)
_FEED_SESSIONS = Sql(f"SELECT {SESSION_ROW_COLUMNS}{_FEED_FROM} ORDER BY s.starts_at, s.id LIMIT ?4")
# what the feed is made of, without reading it: any edit of a session or a workshop moves an
# updated_at, a session entering or leaving the window changes the count or the sum of ids
_FEED_VERSION = Sql(
    "SELECT COUNT(*) AS n, COALESCE(SUM(s.id), 0) AS ids, COALESCE(SUM(s.sequence), 0) AS sequences,"
    f" MAX(s.updated_at) AS sessions_changed, MAX(w.updated_at) AS workshops_changed{_FEED_FROM}"
)


async def feed_session_rows(community_id: int, *, ending_from: dt.datetime, starting_before: dt.datetime,
                            limit: int) -> list[Any]:
    """The first `limit` scheduled sessions, in start order, of the community's published
    workshops that end at `ending_from` or later and start before `starting_before`."""
    return await fetch_all(_FEED_SESSIONS, community_id, ending_from, starting_before, limit)


async def feed_version(community_id: int, *, ending_from: dt.datetime, starting_before: dt.datetime) -> Any:
    """`n`, `ids`, `sequences`, `sessions_changed`, `workshops_changed` of the sessions the feed
    with these bounds draws from (one aggregate; the feed's validator)."""
    return await fetch_one(_FEED_VERSION, community_id, ending_from, starting_before)


async def insert_sessions(workshop_id: int, occurrences: Sequence[tuple[dt.datetime, dt.datetime]],
                          *, timezone: str, capacity: int, now: dt.datetime) -> list[int]:
    """One scheduled session per (start, end); returns their ids."""
    rows = [
        WorkshopSession(workshop=workshop_id, starts_at=start, ends_at=end, timezone=timezone,
                        capacity=capacity, status=SessionStatus.scheduled, sequence=0,
                        created_at=now, updated_at=now)
        for start, end in occurrences
    ]
    for attempt in range(3):
        try:
            with unique_violations():
                await WorkshopSession.insert(*rows)
            break
        except UniqueViolation:  # two short codes met (1 in ~10^8 per pair): draw them again
            if attempt == 2:
                raise
            for row in rows:
                row.short_code = rules.new_short_code()
    return [row.id for row in rows]


async def bump_upcoming_sessions(workshop_id: int, now: dt.datetime) -> list[dict[str, Any]]:
    """Add 1 to the sequence of the workshop's scheduled sessions starting after `now`; returns
    their `id` and new `sequence`."""
    return await WorkshopSession.update({
        WorkshopSession.sequence: WorkshopSession.sequence + 1, WorkshopSession.updated_at: now,
    }).where(
        (WorkshopSession.workshop == workshop_id)
        & (WorkshopSession.status == SessionStatus.scheduled)
        & (WorkshopSession.starts_at > now)
    ).returning(WorkshopSession.id, WorkshopSession.sequence)


def _next_session(column: str, now_param: int) -> str:
    """Subquery: `column` of workshop `w`'s next scheduled session, starting at parameter
    `?now_param` or later."""
    return (f'SELECT s.{column} FROM workshop_session s WHERE s."workshop" = w.id'
            f" AND s.status = '{SessionStatus.scheduled}' AND s.starts_at >= ?{now_param}"
            " ORDER BY s.starts_at, s.id LIMIT 1")


# --------------------------------------------------------------------------------- listing

def _statement(text: str) -> Sql:
    """A listing statement (the same text in both dialects but for the placeholders)."""
    return Sql(text)


class _Filter:
    """The WHERE clauses of a listing over workshop `w`, with their numbered parameters."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"?{len(self.params)}"

    @property
    def where(self) -> str:
        return " AND ".join(self.clauses) or "TRUE"


def _listing_filter(query: rules.ListingQuery, community_id: int | None) -> _Filter:
    f = _Filter()
    f.clauses.append(f"w.status = '{WorkshopStatus.published}'")
    if community_id is not None:
        f.clauses.append(f'w."community" = {f.param(community_id)}')
    if query.host is not None:
        f.clauses.append(f'w."host" = {f.param(query.host)}')
    if query.category:
        f.clauses.append(f"lower(w.category) = lower(CAST({f.param(query.category)} AS TEXT))")
    if query.payment:
        f.clauses.append(f"w.payment = {f.param(query.payment)}")
    if query.q:
        # the title, summary, description and tags, folded when written (case and accents
        # ignored the same way on both databases: workshops.text.search_text), one per line
        f.clauses.append(f"w.search_text LIKE {f.param(rules.search_pattern(query.q))} ESCAPE '\\'")
    if query.starts_from or query.starts_before:
        window = []
        if query.starts_from:
            window.append(f"s.starts_at >= {f.param(query.starts_from)}")
        if query.starts_before:
            window.append(f"s.starts_at < {f.param(query.starts_before)}")
        f.clauses.append(
            'EXISTS (SELECT 1 FROM workshop_session s WHERE s."workshop" = w.id'
            f" AND s.status = '{SessionStatus.scheduled}' AND " + " AND ".join(window) + ")")
    if query.near:
        box = rules.bounding_box(query.near.lat, query.near.lon, query.near.radius_km)
        f.clauses.append(f"w.venue_lat BETWEEN {f.param(box.min_lat)} AND {f.param(box.max_lat)}")
        if box.min_lon is not None:
            f.clauses.append(
                f"w.venue_lon BETWEEN {f.param(box.min_lon)} AND {f.param(box.max_lon)}")
        f.clauses.append("w.venue_lon IS NOT NULL")
    return f


async def listing_positions(query: rules.ListingQuery, community_id: int | None) -> list[Any]:
    """`id`, `lat` and `lon` of the published workshops matching the filters (with `near`: the
    bounding box's candidates, for the caller to measure)."""
    f = _listing_filter(query, community_id)
    statement = _statement("SELECT w.id AS id, w.venue_lat AS lat, w.venue_lon AS lon"
                           f" FROM workshop w WHERE {f.where}")
    return await fetch_all(statement, *f.params)


# The listing's order, soonest next session first, can reach a page two ways, with the same rows:
# - by workshop: every matching workshop's next session is one seek in
#   workshop_session_workshop_status_starts, then the top of their sort; the cost grows with the
#   number of matches (≈ 2.5 µs each on SQLite: 9,000 published workshops ≈ 20 ms);
# - by session: a walk of the scheduled sessions from now, in start order
#   (workshop_session_status_starts), keeping each that is its workshop's next session and whose
#   workshop matches, until the page is full; the cost grows with the page's depth and the
#   sparseness of the matches among all workshops, not with their number (page 1 of 9,000
#   ≈ 0.3 ms), but reaches no workshop without a next session.
# A session visited costs about `_WALK_COST` times a workshop sought, and a page of the walk
# visits ≈ (offset + limit) × published / matches sessions: `listing_page` walks when that costs
# less than seeking the `matches`.
_WALK_COST = 4


def _rows_by_workshop(f: _Filter) -> Sql:
    n = len(f.params)
    return _statement(
        f"SELECT {_WORKSHOP_ROW_COLUMNS}, {_NEXT_SESSION_COLUMNS} FROM (SELECT w.id AS page_id FROM workshop w"
        f" WHERE {f.where} ORDER BY ({_next_session('starts_at', n + 1)}) ASC NULLS LAST, w.id DESC"
        f" LIMIT ?{n + 2} OFFSET ?{n + 3}) chosen JOIN workshop w ON w.id = chosen.page_id{WORKSHOP_VIEW_JOINS}"
        f" LEFT JOIN workshop_session ns ON ns.id = ({_next_session('id', n + 1)})"
        " ORDER BY ns.starts_at ASC NULLS LAST, w.id DESC")


def _rows_by_session(f: _Filter) -> Sql:
    # the workshop's filters in a correlated EXISTS, not a join: SQLite would otherwise build a
    # Bloom filter over every published workshop before the first session is read
    n = len(f.params)
    return _statement(
        f"SELECT {_WORKSHOP_ROW_COLUMNS}, {_NEXT_SESSION_COLUMNS} FROM (SELECT s.id AS page_session"
        f" FROM workshop_session s WHERE s.status = '{SessionStatus.scheduled}' AND s.starts_at >= ?{n + 1}"
        f' AND EXISTS (SELECT 1 FROM workshop w WHERE w.id = s."workshop" AND {f.where}'
        f" AND s.id = ({_next_session('id', n + 1)}))"
        f' ORDER BY s.starts_at, s."workshop" DESC LIMIT ?{n + 2} OFFSET ?{n + 3}) chosen'
        ' JOIN workshop_session ns ON ns.id = chosen.page_session JOIN workshop w ON w.id = ns."workshop"'
        f"{WORKSHOP_VIEW_JOINS} ORDER BY ns.starts_at, w.id DESC")


async def _listing_counts(f: _Filter) -> tuple[int, int]:
    """The number of matching workshops and of published workshops in all (one statement)."""
    published = f"SELECT COUNT(*) FROM workshop p WHERE p.status = '{WorkshopStatus.published}'"
    if len(f.clauses) == 1:  # no filter but the status: the same number
        total = int(await fetch_value(Sql(published)))
        return total, total
    row = await fetch_one(_statement(f"SELECT COUNT(*) AS n, ({published}) AS published FROM workshop w"
                                     f" WHERE {f.where}"), *f.params)
    return int(row["n"]), int(row["published"])


async def listing_page(query: rules.ListingQuery, community_id: int | None, now: dt.datetime,
                       limit: int, offset: int) -> tuple[list[Any], int]:
    """A page of the published workshops matching the filters, soonest next session (from
    `now`) first, those without one last, newest first among equals, as rows of
    `workshop_rows_with_next_session`; with the number of matches in all. Two statements: the
    counts, then the page, by session where that is cheaper, else by workshop (a third, by
    workshop, when the walk ends before the page does: the rest of the page has no next session)."""
    f = _listing_filter(query, community_id)
    total, published = await _listing_counts(f)
    if offset >= total:
        return [], total
    params = (*f.params, now, limit, offset)
    if (offset + limit) * published * _WALK_COST < total * total:
        rows = await fetch_all(_rows_by_session(f), *params)
        if len(rows) == limit or offset + len(rows) == total:
            return rows, total
    return await fetch_all(_rows_by_workshop(f), *params), total


# ------------------------------------------- for booking's attendance report (one query each)

REPORT_SESSION_COLUMNS = (
    "s.id AS session_id, s.workshop AS workshop_id, w.title AS workshop_title, w.host AS host_id, "
    "h.display_name AS host_name, s.starts_at AS starts_at, s.timezone AS timezone, "
    "s.capacity AS capacity, s.status AS status"
)


def community_sessions_from(community: str, starts_before: str, joins: str = "") -> str:
    """FROM … WHERE of the sessions (`s`) of community `community`'s workshops (`w`, host `h`)
    that were ever published, starting before `starts_before` (both SQL expressions), with
    `joins` (the caller's tables, joined to `s`) before the WHERE. `booking.repository`'s
    attendance report adds its lower bound and aggregates bookings, waitlist entries and
    feedback per session in the same statement."""
    return (' FROM workshop_session s JOIN workshop w ON w.id = s."workshop"'
            f' JOIN app_user h ON h.id = w."host"{joins}'
            f' WHERE w."community" = {community} AND w.published_at IS NOT NULL'
            f" AND s.starts_at < {starts_before}")


# --------------------------------------------------------------------------------- recipes
# A recipe row with its author's name and erasure and its workshop's community (the recipe keeps
# its own title, summary and category: the workshop's are not read here).

_RECIPE_COLUMNS = (
    'r.id, r."workshop", r."author", r.title, r.summary, r.category, r.materials, r.steps, '
    "r.duration_minutes, r.group_size, r.cost_note, r.licence, r.copied_from, r.created_at, r.updated_at, "
    "a.display_name AS author_display_name, a.deleted_at AS author_deleted_at, "
    "c.slug AS community_slug, c.name AS community_name"
)
_RECIPE_FROM = (' FROM recipe r JOIN app_user a ON a.id = r."author" JOIN workshop w ON w.id = r."workshop"'
                ' JOIN community c ON c.id = w."community"')
RECIPE_BY_ID = Sql(f"SELECT {_RECIPE_COLUMNS}{_RECIPE_FROM} WHERE r.id = ?1")
RECIPE_ID_OF_WORKSHOP = Sql('SELECT id FROM recipe WHERE "workshop" = ?1')
# ?1 recipe: the one it was copied from (rank 0) and its own copies (rank 1), oldest first
RECIPE_LINEAGE = Sql(
    f"SELECT {_RECIPE_COLUMNS}, CASE WHEN r.copied_from = ?1 THEN 1 ELSE 0 END AS rank{_RECIPE_FROM}"
    " WHERE r.id = (SELECT copied_from FROM recipe WHERE id = ?1) OR r.copied_from = ?1"
    " ORDER BY rank, r.id LIMIT ?2")
# ?1 workshop, ?2 now: has it run, i.e. a session of it (published once) not cancelled has ended?
HAS_RUN = Sql(
    'SELECT 1 FROM workshop_session s JOIN workshop w ON w.id = s."workshop" WHERE s."workshop" = ?1'
    f" AND s.status <> '{SessionStatus.cancelled.value}' AND s.ends_at <= ?2 AND w.published_at IS NOT NULL"
    " LIMIT 1")


@functools.lru_cache(maxsize=16)
def _recipe_page(with_q: bool, with_category: bool, postgres: bool, count: bool = False) -> Sql:
    """The recipes matching the filters, newest first, with the total: ?1 limit, ?2 offset,
    then ?3 the LIKE pattern and/or the category (`count`: only how many, same parameters)."""
    like = "ILIKE" if postgres else "LIKE"
    where, n = [], 3
    if with_q:
        where.append("(" + " OR ".join(f"r.{c} {like} ?{n} ESCAPE '\\'" for c in ("title", "summary", "category"))
                     + f" OR CAST(r.materials AS TEXT) {like} ?{n} ESCAPE '\\'"
                     + f" OR CAST(r.steps AS TEXT) {like} ?{n} ESCAPE '\\')")
        n += 1
    if with_category:
        where.append(f"lower(r.category) = lower(?{n})")
    condition = " WHERE " + " AND ".join(where) if where else ""
    if count:  # ?1 and ?2 stay in the statement, so the parameters are numbered alike
        return Sql(f"SELECT COUNT(*) FROM recipe r WHERE ?1 > 0 AND ?2 >= 0{condition.replace(' WHERE ', ' AND ', 1)}")
    return Sql(f"SELECT {_RECIPE_COLUMNS}, COUNT(*) OVER () AS total{_RECIPE_FROM}{condition}"
               " ORDER BY r.updated_at DESC, r.id DESC LIMIT ?1 OFFSET ?2")


async def recipe_page(q: str | None, category: str | None, limit: int, offset: int) -> list[Any]:
    """A page of recipes (every column of `RECIPE_BY_ID` and `total`), one statement."""
    params: list[Any] = [limit, offset]
    if q:
        params.append(rules.like_pattern(q))
    if category:
        params.append(category)
    return await fetch_all(_recipe_page(bool(q), bool(category), is_postgres()), *params)


async def recipe_count(q: str | None, category: str | None) -> int:
    """How many recipes match (the total of a page past the end)."""
    params: list[Any] = [1, 0]
    if q:
        params.append(rules.like_pattern(q))
    if category:
        params.append(category)
    return int(await fetch_value(_recipe_page(bool(q), bool(category), is_postgres(), True), *params) or 0)


async def recipe_row(recipe_id: int) -> Any:
    return await fetch_one(RECIPE_BY_ID, recipe_id)


async def recipe_lineage(recipe_id: int, limit: int) -> list[Any]:
    return await fetch_all(RECIPE_LINEAGE, recipe_id, limit)


async def recipe_id_of_workshop(workshop_id: int) -> int | None:
    return await fetch_value(RECIPE_ID_OF_WORKSHOP, workshop_id)


async def has_run(workshop_id: int, now: dt.datetime) -> bool:
    return await fetch_value(HAS_RUN, workshop_id, now) is not None


@functools.lru_cache(maxsize=64)
def _recipe_states(count: int) -> Sql:
    return Sql(
        'SELECT w.id, r.id AS recipe_id, EXISTS (SELECT 1 FROM workshop_session s WHERE s."workshop" = w.id'
        f" AND s.status <> '{SessionStatus.cancelled.value}' AND s.ends_at <= ?1) AS ran"
        ' FROM workshop w LEFT JOIN recipe r ON r."workshop" = w.id'
        f" WHERE w.published_at IS NOT NULL AND w.id IN ({placeholders(2, count)})")


async def recipe_states(workshop_ids: Sequence[int], now: dt.datetime) -> list[Any]:
    """(id, recipe_id, ran) of these (distinct) workshops that were published once: one statement
    for the host's dashboard (as `HAS_RUN` decides)."""
    return await fetch_all(_recipe_states(len(workshop_ids)), now, *workshop_ids)


async def insert_recipe(values: Mapping[str, Any]) -> int:
    recipe = Recipe(**values)
    await Recipe.insert(recipe)
    return recipe.id


async def update_recipe(recipe_id: int, values: Mapping[str, Any]) -> None:
    await Recipe.update(dict(values)).where(Recipe.id == recipe_id)


async def recipes_of_author(user_id: int) -> list[dict[str, Any]]:
    """An author's recipes for their data export."""
    return await (
        Recipe.select(Recipe.id, Recipe.workshop.id.as_alias("workshop_id"), Recipe.title, Recipe.summary,
                      Recipe.category, Recipe.materials, Recipe.steps, Recipe.duration_minutes,
                      Recipe.group_size, Recipe.cost_note, Recipe.licence, Recipe.copied_from,
                      Recipe.created_at, Recipe.updated_at)
        .where(Recipe.author == user_id).order_by(Recipe.id)
    )


def recipe_chain_held_sessions(recipe: str, now: str) -> str:
    """`WITH RECURSIVE` CTEs over the lineage of recipe `recipe` (an SQL expression):
    `chain(id)` the recipe, its copies, their copies…; `made(id)` the workshops they were
    published from and the workshops copied from them; `held(session_id, community_id)` the
    sessions of those workshops (published once) that ended by `now` and were not cancelled.
    `booking.repository.RECIPE_RUNS` aggregates bookings and feedback over `held` in the same
    statement (the recipe page's record: one query)."""
    return (
        f"WITH RECURSIVE chain(id) AS (SELECT id FROM recipe WHERE id = {recipe}"
        " UNION SELECT r.id FROM recipe r JOIN chain ON r.copied_from = chain.id), "
        'made(id) AS (SELECT r."workshop" FROM recipe r JOIN chain ON chain.id = r.id'
        " UNION SELECT w.id FROM workshop w JOIN chain ON w.recipe_id = chain.id), "
        'held AS (SELECT s.id AS session_id, w."community" AS community_id FROM made'
        ' JOIN workshop w ON w.id = made.id JOIN workshop_session s ON s."workshop" = w.id'
        f" WHERE s.status <> '{SessionStatus.cancelled.value}' AND s.ends_at <= {now}"
        " AND w.published_at IS NOT NULL)"
    )


def sessions_ended_before(ended_before: str) -> str:
    """SELECT of the ids of the sessions that ended before `ended_before` (an SQL expression):
    `booking.repository` erases the guests' names and phones of those sessions."""
    return f"SELECT s.id FROM workshop_session s WHERE s.ends_at < {ended_before}"


# ------------------------------------------------------------- short codes and the programme

_BY_SHORT_CODE = Sql('SELECT s.id, s."workshop" AS workshop_id FROM workshop_session s WHERE s.short_code = ?1')
# ?1 community, ?2 from, ?3 to: the published workshops' scheduled sessions starting in [from, to)
_PROGRAMME = Sql(
    "SELECT s.id, s.short_code, s.starts_at, s.ends_at, s.timezone, w.id AS workshop_id, w.title, w.summary,"
    " w.venue_name, w.venue_address, w.online_url, w.payment, w.price_cents, w.currency"
    ' FROM workshop_session s JOIN workshop w ON w.id = s."workshop"'
    f" WHERE w.\"community\" = ?1 AND w.status = '{WorkshopStatus.published.value}'"
    f" AND s.status = '{SessionStatus.scheduled.value}' AND s.starts_at >= ?2 AND s.starts_at < ?3"
    " ORDER BY s.starts_at, s.id"
)


async def session_by_short_code(code: str) -> Any:
    return await fetch_one(_BY_SHORT_CODE, code)


async def programme(community_id: int, starts_from: dt.datetime, starts_before: dt.datetime) -> list[Any]:
    return await fetch_all(_PROGRAMME, community_id, starts_from, starts_before)
