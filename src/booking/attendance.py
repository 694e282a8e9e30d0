"""Who came: the session roster, attendance marks and check-in by code (PRODUCT.md flow 7).

A mark is an operation of the booking store (like every booking-side change): it locks the
session row, so marks, check-ins, cancellations and feedback of one session are serialised on
both databases. It changes `booking.attendance` and appends one `attendance_mark` row (who,
when, from what to what, by hand or by code); a mark that changes nothing (a second scan of
the same code) writes nothing and answers the booking as it is. Undoing a mistaken mark is
marking it again (e.g. back to `unknown`): both rows stay.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from functools import partial
from typing import Any

from accounts.auth import CurrentUser, is_organizer_of
from booking import ops, repository, rules
from booking.repository import BOOKING_BY_CODE, INSERT_MARK, SELECT_BOOKING, SET_ATTENDANCE
from booking.schemas import (
    Attendance, AttendanceHistory, AttendanceMarkRecord, Booking, BookingStatus, MarkVia, Roster, RosterItem,
    RosterWaitlistItem, StandbyEntryView,
)
from booking.service import ensure_id
from booking.store import run
from kernel.errors import NotFound
from kernel.runtime import Runtime
from kernel.sql import Tx, as_datetime, fetch_one
from workshops import repository as workshops_repository
from workshops import rules as workshop_rules


# ------------------------------------------------------------------------------ operations

async def _manager(unit: ops.Unit, facts: rules.SessionFacts, actor_id: int, actor_is_admin: bool) -> str:
    organizer = actor_id != facts.host_id and await unit.is_organizer(facts.community_id, actor_id)
    return rules.manager_role(actor_id, facts.host_id, organizer, actor_is_admin)


async def _set(tx: Tx, row: Any, attendance: str, actor_id: int, via: MarkVia, now: dt.datetime) -> Booking:
    if row["attendance"] != attendance:
        await tx.execute(SET_ATTENDANCE, row["id"], attendance, now)
        await tx.one(INSERT_MARK, row["id"], actor_id, row["attendance"], attendance, via.value, now)
        row = await tx.one(SELECT_BOOKING, row["id"])
    return ops.booking_from_row(row)


async def mark_attendance(tx: Tx, *, booking_id: int, attendance: str, actor_id: int, actor_is_admin: bool,
                          now: dt.datetime) -> Booking:
    """The host, an organizer or an admin marks a confirmed booking in the marking window."""
    unit = ops.Unit(tx, now, rules.BookingPolicy())
    row = await tx.one(SELECT_BOOKING, booking_id)
    if row is None:
        raise NotFound("no such booking")
    locked = await tx.one(ops.LOCK_SESSION, row["session"])
    facts = ops.facts_from_row(locked)
    await _manager(unit, facts, actor_id, actor_is_admin)
    row = await tx.one(SELECT_BOOKING, booking_id)  # as it is now that the session is locked
    rules.ensure_markable(row["status"])
    rules.ensure_marks_open(facts, now)
    return await _set(tx, row, attendance, actor_id, MarkVia.mark, now)


async def check_in(tx: Tx, *, session_id: int, code: str, actor_id: int, actor_is_admin: bool,
                   now: dt.datetime) -> tuple[Booking, bool]:
    """The booking of this session holding `code`, marked attended, and whether it already was
    (a second check-in of the same code changes nothing). Whoever may not manage the session is
    refused before the code is looked at (no probing of codes)."""
    unit = ops.Unit(tx, now, rules.BookingPolicy())
    locked = await tx.one(ops.LOCK_SESSION, session_id)
    if locked is None:
        raise NotFound("no such session")
    facts = ops.facts_from_row(locked)
    await _manager(unit, facts, actor_id, actor_is_admin)
    rules.ensure_marks_open(facts, now)
    typed = code.strip()
    row = await tx.one(BOOKING_BY_CODE, typed, rules.normalise_checkin_code(typed) or typed, session_id)
    # a cancelled (or expired) booking's code no longer works: as unknown as a wrong one
    if row is None or row["status"] in (BookingStatus.cancelled, BookingStatus.expired):
        raise NotFound("no booking of this session has this check-in code")
    rules.ensure_markable(row["status"])
    already = row["attendance"] == Attendance.attended
    return await _set(tx, row, Attendance.attended, actor_id, MarkVia.checkin, now), already


# ------------------------------------------------------------------------------- use cases

async def mark(runtime: Runtime, user: CurrentUser, booking_id: int, attendance: str) -> Booking:
    ensure_id(booking_id, "booking")
    return await run(runtime, partial(mark_attendance, booking_id=booking_id, attendance=attendance,
                                      actor_id=user.id, actor_is_admin=user.is_admin, now=runtime.clock.now()))


async def check_in_code(runtime: Runtime, user: CurrentUser, session_id: int, code: str) -> Booking:
    return (await check_in_code_telling(runtime, user, session_id, code))[0]


async def check_in_code_telling(runtime: Runtime, user: CurrentUser, session_id: int,
                                code: str) -> tuple[Booking, bool]:
    """`check_in_code`, and whether that booking was checked in already (the door says so)."""
    ensure_id(session_id, "session")
    return await run(runtime, partial(check_in, session_id=session_id, code=code, actor_id=user.id,
                                      actor_is_admin=user.is_admin, now=runtime.clock.now()))


async def ensure_manager_of(user: CurrentUser, host_id: int, community_id: int, workshop_status: str,
                            what: str) -> str:
    """For the reads: the host, an organizer or an admin; whoever may not even see the
    workshop (a draft) is told it does not exist (404), others are refused (403)."""
    if user.id == host_id:
        return "host"
    organizer = await is_organizer_of(user, community_id)
    if not organizer and not workshop_rules.may_view(workshop_status, is_host=False, is_admin=user.is_admin,
                                                     is_organizer=False):
        raise NotFound(f"no such {what}")
    return rules.manager_role(user.id, host_id, organizer, user.is_admin)


def _name_key(name: str) -> tuple[str, str]:
    """Alphabetical as a person reads it: accents and case aside (É next to E)."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)), name


async def roster(runtime: Runtime, user: CurrentUser, session_id: int) -> Roster:
    """Every active booking (confirmed, or holding seats while paying) by name, and the active
    waitlist in line order: two statements whoever asks (three for an organizer)."""
    ensure_id(session_id, "session")
    session = await _session_view(session_id)
    await ensure_manager_of(user, session["h_id"], session["c_id"], session["w_status"], "session")
    items, waitlist, standby = [], [], []
    for row in await repository.roster_rows(session_id):
        if row["kind"] == "booking":
            items.append(RosterItem(
                booking_id=row["id"], display_name=row["display_name"], seats=row["seats"], status=row["status"],
                attendance=row["attendance"], amount_cents=row["amount_cents"], currency=row["currency"],
                payment=session["w_payment"], source=row["source"] if row["source"] != "self" else None, guest_phone=row["guest_phone"],
                guest_note=row["guest_note"], confirmed_by_text=row["confirmed_by_text_at"] is not None))
        elif row["kind"] == "standby":
            standby.append(StandbyEntryView(id=row["id"], position=row["position"], seats=row["seats"],
                                            name=row["display_name"] or None))
        else:
            waitlist.append(RosterWaitlistItem(id=row["id"], display_name=row["display_name"], seats=row["seats"],
                                               position=row["position"], status=row["status"]))
    items.sort(key=lambda item: (_name_key(item.display_name), item.booking_id))
    waitlist.sort(key=lambda entry: entry.id)
    booked = sum(item.seats for item in items if item.status == BookingStatus.confirmed)
    standby.sort(key=lambda entry: entry.position)
    return Roster(session_id=session_id, items=items, total=len(items), booked_seats=booked, waitlist=waitlist,
                  standby=standby)


async def _session_view(session_id: int) -> Any:
    """The session with its workshop, host and community: notify's session view, a documented
    statement of `workshops.repository`."""
    row = await fetch_one(workshops_repository.SESSION_VIEW_BY_ID, session_id)
    if row is None:
        raise NotFound("no such session")
    return row


async def history(runtime: Runtime, user: CurrentUser, booking_id: int) -> AttendanceHistory:
    """Every mark of a booking, oldest first (host, organizers, admins)."""
    ensure_id(booking_id, "booking")
    row = await repository.booking_with_parties(booking_id)
    if row is None:
        raise NotFound("no such booking")
    organizer = user.id != row["host"] and await is_organizer_of(user, row["community"])
    rules.manager_role(user.id, row["host"], organizer, user.is_admin)
    marks = [AttendanceMarkRecord(
        id=r["id"], booking_id=r["booking"], from_attendance=r["from_attendance"], to_attendance=r["to_attendance"],
        via=r["via"], marked_by=r["marked_by"], marked_at=as_datetime(r["marked_at"]),
    ) for r in await repository.marks_of_booking(booking_id)]
    return AttendanceHistory(items=marks, total=len(marks))
