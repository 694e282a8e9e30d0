"""Outbox delivery on the real database: claim, render once, send, settle, retry, fan out."""
from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
import email
import email.policy

import aiosmtplib
import pytest

from kernel.events import (
    BookingCancelled,
    BookingConfirmed,
    BookingPendingPayment,
    OutboxRow,
    SessionUpdated,
    WaitlistOffered,
    WorkshopSubmitted,
)
from notify import outbox
from notify.compose import Composed
from notify.context import Person
from notify.mailers import FileMailer
from notify.outbox import BATCH_SIZE, LEASE, claim, deliver_due, fanout_rows, insert_rows
from notify.tables import InviteSequence
from tests.factories import (
    make_booking_row,
    make_community,
    make_session,
    make_user,
    make_waitlist_row,
    make_workshop,
)

from .conftest import calendar_part, emit, outbox_rows, parts_of
from kernel.sql import execute
from notify.repository import OUTBOX_INSERT, outbox_params
from tests.conftest import runtime_on


async def confirmed_booking(**user):
    participant = await make_user(**user)
    session = await make_session()
    booking = await make_booking_row(session, participant)
    return participant, session, booking


def confirmed(clock, booking) -> BookingConfirmed:
    return BookingConfirmed(at=clock.now(), booking_id=booking["id"], session_id=booking["session"]["id"],
                            user_id=booking["user"]["id"])


class TestDeliver:
    async def test_a_row_is_rendered_sent_once_and_marked_sent(self, notify_runtime, mailer, clock, settings):
        participant, _, booking = await confirmed_booking()
        assert await emit(notify_runtime, confirmed(clock, booking)) == 1

        assert await deliver_due(notify_runtime) == 1
        assert await deliver_due(notify_runtime) == 0

        (message,) = mailer.messages
        assert message["X-Alveole-Kind"] == "booking_confirmed"
        assert message["From"] == settings.mail_from
        assert message["To"].addresses[0].addr_spec == participant["email"]
        assert message["Subject"] == "Booking confirmed: Fix your bike"
        assert message["Message-ID"].startswith("<outbox.") and message["Date"]
        assert email.utils.parsedate_to_datetime(message["Date"]) == clock.now()
        assert message.get_content_type() == "multipart/mixed"
        (alternative,) = [p for p in message.iter_parts() if p.get_content_type() == "multipart/alternative"]
        assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
        method, ics = calendar_part(message)
        assert method == "REQUEST" and "METHOD:REQUEST" in ics

        (row,) = await outbox_rows()
        assert (row["status"], row["attempts"], row["recipient"], row["recipient_email"]) == (
            "sent", 1, participant["id"], participant["email"])
        assert row["sent_at"] == clock.now() and row["claimed_by"] is None
        assert row["subject"] == message["Subject"] and row["attachments"][0]["method"] == "REQUEST"
        assert mailer.closed >= 1  # the SMTP connection of a run is closed at its end

    async def test_the_leads_insert_statement_works_with_our_rows(self, notify_runtime, mailer, clock, db):
        _, _, booking = await confirmed_booking()
        (row,) = notify_runtime.notifier.outbox_rows([confirmed(clock, booking)])
        for _ in range(2):  # twice: the dedupe key keeps one
            await execute(OUTBOX_INSERT, *outbox_params(row, clock.now()))
        assert await deliver_due(notify_runtime) == 1
        assert mailer.kinds() == ["booking_confirmed"]

    async def test_the_same_events_twice_give_one_email(self, notify_runtime, mailer, clock):
        _, _, booking = await confirmed_booking()
        assert await emit(notify_runtime, confirmed(clock, booking)) == 1
        assert await emit(notify_runtime, confirmed(clock, booking)) == 0
        await deliver_due(notify_runtime)
        assert mailer.kinds() == ["booking_confirmed"]

    async def test_a_failed_attempt_waits_then_resends_identical_content(self, notify_runtime, mailer, clock):
        _, _, booking = await confirmed_booking()
        await emit(notify_runtime, confirmed(clock, booking))
        mailer.fail_with = ConnectionRefusedError("relay down")
        await deliver_due(notify_runtime)
        (row,) = await outbox_rows()
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert "relay down" in row["last_error"] and row["last_error"].startswith("transient")
        assert clock.now() < row["next_attempt_at"] <= clock.now() + dt.timedelta(seconds=30)

        mailer.fail_with = None
        clock.set(row["next_attempt_at"] - dt.timedelta(seconds=1))
        assert await deliver_due(notify_runtime) == 0  # not due yet
        clock.set(row["next_attempt_at"])
        assert await deliver_due(notify_runtime) == 1
        assert len(mailer.messages) == 1
        first, last = mailer.attempts[0], mailer.attempts[-1]
        assert first == last  # same bytes: same Message-ID, Date, bodies and invite
        assert (await InviteSequence.select(InviteSequence.sequence))[0]["sequence"] == 0

    async def test_an_unreachable_relay_is_tried_once_per_batch(self, notify_runtime, mailer, clock):
        for _ in range(3):
            await emit(notify_runtime, confirmed(clock, (await confirmed_booking())[2]))
        mailer.fail_with = aiosmtplib.SMTPConnectTimeoutError("timed out connecting")
        await deliver_due(notify_runtime)
        assert len(mailer.attempts) == 1
        rows = await outbox_rows()
        assert {(r["status"], r["attempts"]) for r in rows} == {("pending", 1)}
        assert all("timed out connecting" in r["last_error"] for r in rows)

    async def test_backoff_grows_and_is_capped_at_ten_minutes(self, notify_runtime, mailer, clock):
        _, _, booking = await confirmed_booking()
        await emit(notify_runtime, confirmed(clock, booking))
        mailer.fail_with = aiosmtplib.SMTPConnectError("down")
        waits = []
        for _ in range(9):
            await deliver_due(notify_runtime)
            (row,) = await outbox_rows()
            waits.append(row["next_attempt_at"] - clock.now())
            clock.set(row["next_attempt_at"])
        assert waits[0] <= dt.timedelta(seconds=30)
        assert waits == sorted(waits) and waits[-1] == dt.timedelta(minutes=10)
        (row,) = await outbox_rows()
        assert (row["status"], row["attempts"]) == ("pending", 9)  # transient: never given up

    async def test_a_permanent_rejection_fails_that_row_only(self, notify_runtime, mailer, clock):
        bookings = [(await confirmed_booking())[2] for _ in range(4)]
        await emit(notify_runtime, *[confirmed(clock, b) for b in bookings])
        bad = bookings[1]["user"]["email"]
        mailer.refuse[bad] = aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(550, "5.1.1 no such user", bad)])
        await deliver_due(notify_runtime)
        assert len(mailer.messages) == 3
        for _ in range(5):
            clock.advance(minutes=10)
            await deliver_due(notify_runtime)
        rows = {r["recipient_email"]: r for r in await outbox_rows()}
        assert rows[bad]["status"] == "failed" and rows[bad]["attempts"] == outbox.PERMANENT_FAILURE_ATTEMPTS
        assert "550" in rows[bad]["last_error"] and rows[bad]["last_error"].startswith("permanent")
        assert {r["status"] for e, r in rows.items() if e != bad} == {"sent"}
        assert len(mailer.messages) == 3

    async def test_the_default_mailer_writes_eml_files(self, db, settings, clock):
        runtime = runtime_on(settings, clock, db)
        _, _, booking = await confirmed_booking()
        await emit(runtime, confirmed(clock, booking))
        assert await deliver_due(runtime) == 1
        assert isinstance(runtime.mailer, FileMailer)
        (path,) = list(settings.mail_dir.glob("*.eml"))
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert message["X-Alveole-Kind"] == "booking_confirmed"
        assert calendar_part(message)[0] == "REQUEST"


class TestClaims:
    async def test_a_crashed_workers_claim_is_taken_over_after_the_lease(self, notify_runtime, mailer, clock):
        for _ in range(3):
            await emit(notify_runtime, confirmed(clock, (await confirmed_booking())[2]))
        abandoned = await claim(clock.now(), "dead-worker", limit=2)
        assert len(abandoned) == 2

        assert await deliver_due(notify_runtime) == 1  # only the unclaimed one
        clock.advance(seconds=LEASE.total_seconds() - 1)
        assert await deliver_due(notify_runtime) == 0
        clock.advance(seconds=1)
        assert await deliver_due(notify_runtime) == 2
        assert sorted(m["To"].addresses[0].addr_spec for m in mailer.messages) == sorted(
            {m["To"].addresses[0].addr_spec for m in mailer.messages})
        assert len(mailer.messages) == 3
        assert {r["status"] for r in await outbox_rows()} == {"sent"}

    async def test_a_late_worker_cannot_settle_a_row_taken_over(self, notify_runtime, mailer, clock):
        await emit(notify_runtime, confirmed(clock, (await confirmed_booking())[2]))
        (stale,) = await claim(clock.now(), "slow-worker")
        clock.advance(seconds=LEASE.total_seconds())
        assert await deliver_due(notify_runtime) == 1
        assert not await outbox.mark_sent(stale, "slow-worker", clock.now(), attempted=True)
        late = Composed(recipient=Person(1, "x@example.org", "X", "en", "UTC"), subject="late",
                        body_text="late", body_html="<p>late</p>")
        assert not await outbox.store_rendering(stale, "slow-worker", clock.now(), late)
        assert (await outbox_rows())[0]["subject"] != "late"

    async def test_concurrent_claims_never_share_a_row(self, notify_runtime, clock):
        for _ in range(30):
            await emit(notify_runtime, confirmed(clock, (await confirmed_booking())[2]))
        batches = await asyncio.gather(*[claim(clock.now(), f"w{i}", limit=7) for i in range(6)])
        ids = [r["id"] for batch in batches for r in batch]
        assert len(ids) == len(set(ids)) == 30


class TestFanOut:
    async def test_a_session_update_reaches_each_confirmed_participant_once(self, notify_runtime, mailer, clock):
        session = await make_session()
        kept = [await make_booking_row(session, await make_user()) for _ in range(3)]
        await make_booking_row(session, await make_user(), status="cancelled")
        await make_booking_row(session, await make_user(), status="pending_payment")
        event = SessionUpdated(at=clock.now(), session_id=session["id"], sequence=1)
        clock.advance(minutes=1)
        await make_booking_row(session, await make_user(), created_at=clock.now())  # booked after
        await emit(notify_runtime, event)

        assert await deliver_due(notify_runtime) == 4  # the fan-out row, then its 3 children
        assert sorted(m["To"].addresses[0].addr_spec for m in mailer.messages) == sorted(
            b["user"]["email"] for b in kept)
        assert set(mailer.kinds()) == {"session_updated"}
        fan = (await outbox_rows(dedupe_key=f"session_updated:{session['id']}:1"))[0]
        assert fan["status"] == "sent" and fan["recipient"] is None

        # expanding again (a worker crashed after inserting children) adds nothing
        again = await fanout_rows(fan)
        assert len(again) == 3 and await insert_rows(again, clock.now()) == 0
        await deliver_due(notify_runtime)
        assert len(mailer.messages) == 3

    async def test_explicit_booking_ids_and_fan_out_share_dedupe_keys(self, notify_runtime, mailer, clock):
        session = await make_session()
        booking = await make_booking_row(session, await make_user())
        await emit(notify_runtime, SessionUpdated(at=clock.now(), session_id=session["id"], sequence=2,
                                                  booking_ids=(booking["id"],)))
        await emit(notify_runtime, SessionUpdated(at=clock.now(), session_id=session["id"], sequence=2))
        await deliver_due(notify_runtime)
        assert mailer.kinds() == ["session_updated"]

    async def test_a_submission_reaches_the_organizers_of_that_community_only(self, notify_runtime, mailer, clock):
        first, second, elsewhere = await make_user(), await make_user(locale="fr"), await make_user()
        community = await make_community(organizers=(first, second))
        await make_community(organizers=(elsewhere,))
        host = await make_user(display_name="Henri")
        workshop = await make_workshop(host=host, community=community, status="submitted")
        await emit(notify_runtime, WorkshopSubmitted(at=clock.now(), workshop_id=workshop["id"],
                                                     community_id=community["id"], host_id=host["id"]))
        await deliver_due(notify_runtime)
        by_address = {m["To"].addresses[0].addr_spec: m for m in mailer.messages}
        assert set(by_address) == {first["email"], second["email"]}
        assert by_address[first["email"]]["Subject"] == "Workshop to review: Fix your bike"
        assert by_address[second["email"]]["Subject"] == "Atelier à examiner\u00a0: Fix your bike"
        assert f"http://alveole.test/organize/moderation#workshop-{workshop['id']}" in parts_of(by_address[first["email"]])["text/plain"]
        children = [r for r in await outbox_rows(kind="workshop_submitted") if r["recipient"]]
        assert sorted(r["recipient"] for r in children) == sorted([first["id"], second["id"]])


class TestSkips:
    async def test_stale_messages_are_skipped_not_sent(self, notify_runtime, mailer, clock):
        participant, session, paid = await confirmed_booking()  # already confirmed: link is stale
        entry = await make_waitlist_row(session, await make_user(), status="expired")
        gone = await make_user(deleted_at=clock.now())
        gone_booking = await make_booking_row(session, gone)
        await emit(notify_runtime,
                   BookingPendingPayment(at=clock.now(), booking_id=paid["id"], session_id=session["id"],
                                         user_id=participant["id"], checkout_url="https://pay",
                                         hold_expires_at=clock.now()),
                   WaitlistOffered(at=clock.now(), entry_id=entry["id"], session_id=session["id"],
                                   user_id=entry["user"]["id"], offer_expires_at=clock.now()),
                   confirmed(clock, gone_booking))
        await insert_rows([OutboxRow("reminder", "reminder:999:60", None, {"booking_id": 999})], clock.now())
        await deliver_due(notify_runtime)
        assert mailer.messages == []
        rows = await outbox_rows()
        assert {r["status"] for r in rows} == {"skipped"}
        assert all(r["last_error"] for r in rows)

    async def test_a_cancel_for_someone_never_invited_has_no_calendar_part(self, notify_runtime, mailer, clock):
        participant, session, booking = await confirmed_booking()
        await emit(notify_runtime, BookingCancelled(at=clock.now(), booking_id=booking["id"],
                                                    session_id=session["id"], user_id=participant["id"],
                                                    by="system"))
        await deliver_due(notify_runtime)
        (message,) = mailer.messages
        assert message["X-Alveole-Kind"] == "booking_cancelled"
        assert calendar_part(message) is None
        assert message.get_content_type() == "multipart/alternative"


class WorkerKilled(BaseException):
    """A SIGKILL, as far as the code under test can tell: it stops where it is."""


class TestCrashBound:
    async def test_a_crash_mid_batch_repeats_at_most_the_message_being_sent(
            self, notify_runtime, mailer, clock, monkeypatch):
        for _ in range(12):
            _, _, booking = await confirmed_booking()
            await emit(notify_runtime, confirmed(clock, booking))
        real_send, sends = mailer.send, []

        async def send_then_die(message):
            await real_send(message)
            sends.append(message)
            if len(sends) == 8:
                raise WorkerKilled  # not an Exception: nothing handles it, no later step runs

        monkeypatch.setattr(mailer, "send", send_then_die)
        with pytest.raises(WorkerKilled):
            await deliver_due(notify_runtime)
        rows = await outbox_rows()
        # every message the relay accepted was marked at once, but the one it died sending
        assert len(sends) == 8 and sum(r["status"] == "sent" for r in rows) == 7
        # the dead worker's claimed rows are due again one short lease later, not minutes later
        monkeypatch.setattr(mailer, "send", real_send)
        clock.advance(seconds=LEASE.total_seconds() - 1)
        await deliver_due(notify_runtime)
        clock.advance(seconds=1)
        await deliver_due(notify_runtime)
        assert {r["status"] for r in await outbox_rows()} == {"sent"}
        ids = Counter(m["Message-ID"] for m in mailer.messages)
        assert len(ids) == 12 and sum(ids.values()) == 13  # one double, with the same Message-ID
        assert LEASE <= dt.timedelta(seconds=30) and BATCH_SIZE <= 10

    async def test_a_slow_batch_renews_its_claim_before_each_send_it_could_not_cover(
            self, notify_runtime, mailer, clock, monkeypatch):
        for _ in range(3):
            _, _, booking = await confirmed_booking()
            await emit(notify_runtime, confirmed(clock, booking))
        real_send = mailer.send

        async def slow_send(message):  # each send takes 20 s of the (injected) clock
            clock.advance(seconds=20)
            await real_send(message)

        monkeypatch.setattr(mailer, "send", slow_send)
        assert await deliver_due(notify_runtime) == 3
        assert len(mailer.messages) == 3  # 60 s for a 30 s lease: renewed, never abandoned
        assert {r["status"] for r in await outbox_rows()} == {"sent"}

    async def test_a_row_taken_over_meanwhile_is_not_sent_by_the_late_worker(
            self, notify_runtime, mailer, clock):
        for _ in range(2):
            _, _, booking = await confirmed_booking()
            await emit(notify_runtime, confirmed(clock, booking))
        records = await claim(clock.now(), notify_runtime.worker_id)
        clock.advance(seconds=LEASE.total_seconds())
        taken = await claim(clock.now(), "another-worker", limit=1)  # our lease ran out
        await outbox.process_batch(notify_runtime, records, notify_runtime.worker_id, mailer)
        assert len(mailer.messages) == 1  # only the row still ours
        assert [r["status"] for r in records if r["id"] == taken[0]["id"]] == ["lost"]


class TestStopping:
    async def test_a_stop_finishes_the_message_being_sent_and_hands_the_rest_back(
            self, notify_runtime, mailer, clock, monkeypatch):
        for _ in range(4):
            _, _, booking = await confirmed_booking()
            await emit(notify_runtime, confirmed(clock, booking))
        real_send = mailer.send

        async def send_then_sigterm(message):
            await real_send(message)
            notify_runtime.stopping = True  # SIGTERM arrives while this message is sent

        monkeypatch.setattr(mailer, "send", send_then_sigterm)
        await deliver_due(notify_runtime)
        rows = await outbox_rows()
        assert len(mailer.messages) == 1
        assert sorted(r["status"] for r in rows) == ["pending"] * 3 + ["sent"]
        # handed back, due at once for any other worker: no lease to wait for
        assert len(await claim(clock.now(), "another-worker")) == 3
