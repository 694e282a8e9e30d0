"""Reminders, host rosters and feedback requests, driven by the frozen clock (no sleeping)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from alveole.worker import run_once
from booking.tables import Booking
from notify import reminders as reminders_module
from notify.jobs import JOBS
from tests.conftest import T0
from tests.factories import make_booking_row, make_session, make_user, make_workshop
from workshops.tables import WorkshopSession

from .conftest import outbox_rows, parts_of

H = dt.timedelta(hours=1)
START = T0 + dt.timedelta(days=7)  # Tuesday 8 December 2026, 09:00 UTC


async def run(runtime) -> dict[str, int]:
    return await run_once(runtime, JOBS)


def reminders(mailer, address=None):
    return [m for m in (mailer.to(address) if address else mailer.messages)
            if m["X-Alveole-Kind"] == "reminder"]


class TestReminders:
    async def test_one_reminder_per_offset_at_its_moment(self, notify_runtime, mailer, clock):
        booking = await make_booking_row(await make_session(starts_at=START))
        await run(notify_runtime)
        assert mailer.messages == []

        clock.set(START - 24 * H - dt.timedelta(seconds=1))
        await run(notify_runtime)
        assert reminders(mailer) == []
        clock.set(START - 24 * H)
        await run(notify_runtime)
        await run(notify_runtime)
        clock.advance(hours=3)
        await run(notify_runtime)
        assert len(reminders(mailer)) == 1

        clock.set(START - 2 * H)
        await run(notify_runtime)
        clock.set(START - H)
        await run(notify_runtime)
        assert len(reminders(mailer)) == 2
        keys = sorted(r["dedupe_key"] for r in await outbox_rows(kind="reminder"))
        assert keys == [f"reminder:{booking['id']}:7200", f"reminder:{booking['id']}:86400"]
        text = parts_of(reminders(mailer)[0])["text/plain"]
        assert reminders(mailer)[0]["Subject"] == "Reminder: Fix your bike starts in 24 hours"
        assert "Tuesday, December 8, 2026, 10:00\u202fAM" in text or "Tuesday, December 8, 2026, 10:00 AM" in text
        assert "in 2 hours" in reminders(mailer)[1]["Subject"]

    async def test_none_whose_moment_passed_before_the_booking(self, notify_runtime, mailer, clock):
        session = await make_session(starts_at=START)
        early = await make_booking_row(session, created_at=START - 30 * H)
        late = await make_booking_row(session, created_at=START - 10 * H)
        last_minute = await make_booking_row(session, created_at=START - H)
        for at in (START - 24 * H, START - 10 * H, START - 2 * H, START - H):
            clock.set(at)
            await run(notify_runtime)
        got = {r["dedupe_key"] for r in await outbox_rows(kind="reminder")}
        assert got == {f"reminder:{early['id']}:86400", f"reminder:{early['id']}:7200",
                       f"reminder:{late['id']}:7200"}
        assert not any(str(last_minute["id"]) == k.split(":")[1] for k in got)

    async def test_none_for_cancelled_bookings_or_sessions(self, notify_runtime, mailer, clock):
        await make_booking_row(await make_session(starts_at=START), status="cancelled")
        await make_booking_row(await make_session(starts_at=START), status="pending_payment")
        await make_booking_row(await make_session(starts_at=START, status="cancelled"))
        for at in (START - 24 * H, START - 2 * H):
            clock.set(at)
            await run(notify_runtime)
        assert await outbox_rows(kind="reminder") == []

    async def test_a_booking_cancelled_after_scheduling_gets_no_reminder(self, notify_runtime, mailer, clock):
        booking = await make_booking_row(await make_session(starts_at=START))
        clock.set(START - 24 * H)
        from notify.jobs import schedule_reminders
        assert await schedule_reminders(notify_runtime) == 1
        await Booking.update({Booking.status: "cancelled"}).where(Booking.id == booking["id"])
        await run(notify_runtime)
        assert reminders(mailer) == []
        (row,) = await outbox_rows(kind="reminder")
        assert row["status"] == "skipped"

    async def test_a_late_worker_sends_only_the_latest_reminder_due(self, notify_runtime, mailer, clock):
        booking = await make_booking_row(await make_session(starts_at=START))
        clock.set(START - 90 * dt.timedelta(minutes=1))
        await run(notify_runtime)
        assert [r["dedupe_key"] for r in await outbox_rows(kind="reminder")] == [f"reminder:{booking['id']}:7200"]
        clock.set(START + H)
        await run(notify_runtime)
        assert len(reminders(mailer)) == 1

    async def test_after_a_reschedule_the_new_time_counts(self, notify_runtime, mailer, clock):
        session = await make_session(starts_at=START)
        booking = await make_booking_row(session)
        clock.set(START - 24 * H)
        await run(notify_runtime)
        assert len(reminders(mailer)) == 1

        later = START + dt.timedelta(days=2)
        await WorkshopSession.update({WorkshopSession.starts_at: later, WorkshopSession.ends_at: later + 2 * H,
                                      WorkshopSession.sequence: 1}).where(WorkshopSession.id == session["id"])
        clock.set(START - 2 * H)  # the old 2 h moment: nothing any more
        await run(notify_runtime)
        clock.set(later - 24 * H)  # the 24 h reminder was already sent for this booking: not again
        await run(notify_runtime)
        assert len(reminders(mailer)) == 1
        clock.set(later - 2 * H)
        await run(notify_runtime)
        assert len(reminders(mailer)) == 2
        assert {r["dedupe_key"] for r in await outbox_rows(kind="reminder")} == {
            f"reminder:{booking['id']}:86400", f"reminder:{booking['id']}:7200"}
        assert "Thursday, December 10, 2026" in parts_of(reminders(mailer)[1])["text/plain"]

    async def test_moved_earlier_into_the_window_gets_the_reminder_due_now(self, notify_runtime, mailer, clock):
        session = await make_session(starts_at=START)
        booking = await make_booking_row(session)
        clock.set(T0 + dt.timedelta(days=3))
        await run(notify_runtime)
        sooner = clock.now() + 5 * H
        await WorkshopSession.update({WorkshopSession.starts_at: sooner, WorkshopSession.ends_at: sooner + H}).where(
            WorkshopSession.id == session["id"])
        await run(notify_runtime)
        assert [r["dedupe_key"] for r in await outbox_rows(kind="reminder")] == [
            f"reminder:{booking['id']}:86400"]
        assert "in 5 hours" in reminders(mailer)[0]["Subject"]

    async def test_the_recipients_language_and_timezone(self, notify_runtime, mailer, clock):
        zoe = await make_user(locale="fr", timezone="America/Montreal", display_name="Zoé")
        await make_booking_row(await make_session(starts_at=START), zoe)
        clock.set(START - 2 * H)
        await run(notify_runtime)
        (message,) = reminders(mailer, zoe["email"])
        assert message["Subject"] == "Rappel\u00a0: Fix your bike commence dans 2 heures"
        text = parts_of(message)["text/plain"]
        assert "Bonjour Zoé," in text
        assert "mardi 8 décembre 2026, 04:00 – 06:00 (America/Montreal)" in text
        assert '<html lang="fr"' in parts_of(message)["text/html"]


class TestHostRoster:
    async def test_sent_once_at_the_last_offset_with_the_participants(self, notify_runtime, mailer, clock):
        host = await make_user(display_name="Hélène")
        session = await make_session(await make_workshop(host=host), starts_at=START, capacity=10)
        await make_booking_row(session, await make_user(display_name="Ana"), seats=2)
        await make_booking_row(session, await make_user(display_name="Ben"))
        await make_booking_row(session, await make_user(display_name="Cancelled Carl"), status="cancelled")
        clock.set(START - 24 * H)
        await run(notify_runtime)
        clock.set(START - 2 * H - dt.timedelta(minutes=1))
        await run(notify_runtime)
        assert mailer.to(host["email"]) == []
        clock.set(START - 2 * H)
        await run(notify_runtime)
        clock.set(START - H)
        await run(notify_runtime)
        (roster,) = mailer.to(host["email"])
        assert roster["X-Alveole-Kind"] == "host_roster"
        text = parts_of(roster)["text/plain"]
        assert "- Ana (2 seats)" in text and "- Ben (1 seat)" in text and "Carl" not in text
        assert "Seats booked: 3 of 10" in text
        html = parts_of(roster)["text/html"]
        assert "<caption" in html and "Ana" in html

    async def test_none_while_nobody_booked_then_once_someone_does(self, notify_runtime, mailer, clock):
        """Issue 19.8: it went out at approval saying "No one has booked yet", and never again."""
        host = await make_user()
        session = await make_session(await make_workshop(host=host), starts_at=START)
        clock.set(START - 2 * H)
        await run(notify_runtime)
        assert mailer.to(host["email"]) == []
        await make_booking_row(session, await make_user(display_name="Ana"))
        clock.set(START - H)
        await run(notify_runtime)
        (roster,) = mailer.to(host["email"])
        assert "Ana" in parts_of(roster)["text/plain"] and "No one has booked" not in parts_of(roster)["text/plain"]

    async def test_none_for_cancelled_sessions(self, notify_runtime, mailer, clock):
        host = await make_user()
        await make_session(await make_workshop(host=host), starts_at=START, status="cancelled")
        clock.set(START - 20 * H)
        await run(notify_runtime)
        assert mailer.to(host["email"]) == []


class TestFeedbackRequests:
    async def test_after_the_delay_to_confirmed_participants_not_marked_no_show(self, notify_runtime, mailer, clock):
        session = await make_session(starts_at=START)
        came = await make_booking_row(session, attendance="attended")
        unknown = await make_booking_row(session)
        await make_booking_row(session, attendance="no_show")
        await make_booking_row(session, status="cancelled")
        end = session["ends_at"]
        clock.set(end + H - dt.timedelta(seconds=1))
        await run(notify_runtime)
        assert [m for m in mailer.messages if m["X-Alveole-Kind"] == "feedback_request"] == []
        clock.set(end + H)
        await run(notify_runtime)
        clock.advance(days=1)
        await run(notify_runtime)
        sent = [m for m in mailer.messages if m["X-Alveole-Kind"] == "feedback_request"]
        assert sorted(m["To"].addresses[0].addr_spec for m in sent) == sorted(
            [came["user"]["email"], unknown["user"]["email"]])
        # no feedback form page yet: the email links the workshop, never a booking page
        text = parts_of(mailer.to(came["user"]["email"])[-1])["text/plain"]
        assert f"http://alveole.test/workshops/{session['workshop']}" in text
        assert "/bookings/" not in text

    async def test_none_to_the_host_who_booked_their_own_session(self, notify_runtime, mailer, clock):
        host = await make_user()
        session = await make_session(await make_workshop(host=host), starts_at=START)
        await make_booking_row(session, host)
        guest = await make_booking_row(session)
        clock.set(session["ends_at"] + 2 * H)
        await run(notify_runtime)
        assert [row["recipient"] for row in await outbox_rows(kind="feedback_request")] == [guest["user"]["id"]]
        assert mailer.to(host["email"]) == []

    async def test_none_for_cancelled_sessions(self, notify_runtime, mailer, clock):
        session = await make_session(starts_at=START, status="cancelled")
        await make_booking_row(session)
        clock.set(session["ends_at"] + 2 * H)
        await run(notify_runtime)
        assert await outbox_rows(kind="feedback_request") == []


async def test_the_scans_use_the_indexes(notify_runtime, is_postgres):
    """The scans start from the sessions' starts_at index and reach bookings by theirs."""
    if is_postgres:
        pytest.skip("query plans on tiny tables are the planner's choice on PostgreSQL; see bench/notify.py")
    from kernel.sql import fetch_all

    captured = []

    async def explain(sql, *args):
        captured.append(await fetch_all(sql.prefixed("EXPLAIN QUERY PLAN "), *args))
        return []

    real_fetch, reminders_module.fetch_all = reminders_module.fetch_all, explain
    try:
        await reminders_module.due_reminders(T0, [H])
        await reminders_module.due_feedback_requests(T0, H)
    finally:
        reminders_module.fetch_all = real_fetch
    for plan in captured:
        details = " | ".join(r["detail"] for r in plan)
        assert "SEARCH s USING INDEX workshop_session_starts_at (starts_at>? AND starts_at<?)" in details
        # by the session's index (a covering one when the report's index holds every column)
        assert re.search(r"SEARCH b USING (COVERING )?INDEX", details) and "session=" in details
        assert "SEARCH o USING COVERING INDEX" in details and "dedupe_key=?" in details
        assert "SCAN" not in details.replace("SCALAR", "")

