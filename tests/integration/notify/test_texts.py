"""Text messages behind the outbox, on the real database and Twilio's official SDK against a
local fake of its API: who gets them, exactly once, the provider down then back, a worker
killed mid-batch, STOP honoured before anything else is sent."""
from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from kernel.events import BookingCancelled, SessionCancelled, SessionUpdated
from notify.outbox import LEASE, claim, deliver_due
from notify.texters import FileTexter, TwilioTexter
from notify.texts import SMS_LIMIT, is_gsm7
from tests.factories import make_booking_row, make_session, make_user
from tests.fake_twilio import FakeTwilio

from .conftest import emit, outbox_rows

PHONES = ["+33612345601", "+33612345602", "+33612345603", "+33612345604", "+33612345605"]


class RecordingTexter:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, to: str, body: str, key: str) -> None:
        self.sent.append((to, body, key))


@pytest.fixture
def texter(notify_runtime) -> RecordingTexter:
    notify_runtime.texter = RecordingTexter()
    return notify_runtime.texter


@pytest.fixture
def twilio(notify_runtime, tmp_path):
    fake = FakeTwilio()
    fake.start()
    notify_runtime.settings = dataclasses.replace(
        notify_runtime.settings, sms_url=fake.sms_url, twilio_api_base=fake.base, sms_dir=tmp_path / "sms")
    notify_runtime.texter = None  # built from the settings: the SDK, pointed at the fake
    yield fake
    fake.stop()


async def texting_participants(count: int, session=None, **user):
    session = session or await make_session()
    bookings = []
    for phone in PHONES[:count]:
        participant = await make_user(phone=phone, sms_opt_in=True, **user)
        bookings.append(await make_booking_row(session, participant))
    return session, bookings


async def guest_booking(session, relay, name, phone):
    """A booking a relay made for a neighbour without an account (as the booking engine stores it)."""
    from booking.tables import Booking

    booking = await make_booking_row(session, relay, booked_by=relay["id"], source="relay", guest_name=name,
                                     guest_phone=phone, active_slot=None)
    await Booking.update({Booking.user: None}).where(Booking.id == booking["id"])
    return booking


def updated(clock, session, bookings) -> SessionUpdated:
    return SessionUpdated(at=clock.now(), session_id=session["id"], sequence=1,
                          booking_ids=tuple(b["id"] for b in bookings))


class TestWhoGetsTexts:
    async def test_only_participants_with_a_number_who_opted_in_get_a_text(self, notify_runtime, texter, clock):
        session = await make_session()
        wants = await make_booking_row(session, await make_user(phone=PHONES[0], sms_opt_in=True, locale="fr"))
        no_opt_in = await make_booking_row(session, await make_user(phone=PHONES[1], sms_opt_in=False))
        no_phone = await make_booking_row(session, await make_user(sms_opt_in=True))
        await emit(notify_runtime, updated(clock, session, [wants, no_opt_in, no_phone]))
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)

        assert [to for to, _, _ in texter.sent] == [PHONES[0]]
        body = texter.sent[0][1]
        assert len(body) <= SMS_LIMIT and is_gsm7(body) and body.startswith("Changement")
        rows = await outbox_rows(channel="sms")
        assert [(r["kind"], r["status"], r["recipient_email"], r["dedupe_key"]) for r in rows] == [
            ("session_updated", "sent", PHONES[0], f"sms:session_updated:{session['id']}:1:{wants['id']}")]
        assert len(await outbox_rows(channel="email", status="sent")) == 3  # every email as before

    async def test_the_same_events_twice_give_one_text(self, notify_runtime, texter, clock):
        session, bookings = await texting_participants(1)
        event = updated(clock, session, bookings)
        await emit(notify_runtime, event)
        await deliver_due(notify_runtime)
        await emit(notify_runtime, event)
        await deliver_due(notify_runtime)
        assert len(texter.sent) == 1

    async def test_cancellations_go_by_text_but_not_a_participants_own(self, notify_runtime, texter, clock):
        session, (first, second) = await texting_participants(2)
        await emit(notify_runtime,
                   BookingCancelled(at=clock.now(), booking_id=first["id"], session_id=session["id"],
                                    user_id=first["user"]["id"], by="participant"),
                   SessionCancelled(at=clock.now(), session_id=session["id"], sequence=2, reason="",
                                    booking_ids=(second["id"],)))
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
        assert [(to, key.split(":")[1]) for to, _, key in texter.sent] == [(PHONES[1], "session_cancelled")]

    async def test_a_reminder_goes_by_text_too(self, notify_runtime, texter, clock):
        import datetime as dt

        from notify.jobs import schedule_reminders

        start = clock.now() + dt.timedelta(days=3)
        await texting_participants(1, session=await make_session(starts_at=start))
        clock.set(start - dt.timedelta(hours=24))
        assert await schedule_reminders(notify_runtime) == 1
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
        (to, body, key), = texter.sent
        assert to == PHONES[0] and key.startswith("sms:reminder:") and "ANNULER" in body

    async def test_a_neighbour_booked_by_a_relay_gets_the_text_at_the_phone_given(self, notify_runtime, texter,
                                                                                     clock):
        """The relay keeps the emails; the guest's phone gets the texts (no opt-in of theirs:
        the relay asked them), in the relay's language; no phone, no text."""
        session = await make_session()
        relay = await make_user(locale="fr", phone=PHONES[4], sms_opt_in=True)
        guest = await guest_booking(session, relay, "Mme Duval", PHONES[2])
        silent = await guest_booking(session, relay, "M. Roux", None)
        await emit(notify_runtime, updated(clock, session, [guest, silent]))
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
        assert [(to, key) for to, _, key in texter.sent] == [
            (PHONES[2], f"sms:session_updated:{session['id']}:1:{guest['id']}")]
        assert texter.sent[0][1].startswith("Changement")
        emails = await outbox_rows(channel="email", status="sent")
        assert sorted(r["recipient"] for r in emails) == [relay["id"], relay["id"]]

    async def test_a_neighbour_whose_number_said_stop_gets_no_text(self, notify_runtime, texter, clock):
        from accounts.repository import opt_out_phone

        session = await make_session()
        relay = await make_user()
        guest = await guest_booking(session, relay, "Mme Duval", PHONES[3])
        await opt_out_phone(PHONES[3], clock.now())
        await emit(notify_runtime, updated(clock, session, [guest]))
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
        assert texter.sent == []

    async def test_by_default_each_text_is_a_file_under_the_sms_dir(self, notify_runtime, clock, tmp_path):
        notify_runtime.settings = dataclasses.replace(notify_runtime.settings, sms_dir=tmp_path / "sms")
        notify_runtime.texter = None
        session, bookings = await texting_participants(2)
        await emit(notify_runtime, updated(clock, session, bookings))
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
        assert isinstance(notify_runtime.texter, FileTexter)
        files = sorted((tmp_path / "sms").glob("*.txt"))
        assert len(files) == 2 and "To: +3361234560" in files[0].read_text()


class TestStop:
    async def test_a_stop_drops_the_texts_not_yet_written_for_that_number(self, notify_runtime, texter, clock):
        from accounts.repository import opt_out_phone

        session, bookings = await texting_participants(2)
        await emit(notify_runtime, updated(clock, session, bookings))
        await opt_out_phone(PHONES[0], clock.now())
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
        assert [to for to, _, _ in texter.sent] == [PHONES[1]]

    async def test_a_stop_drops_the_texts_already_written_and_waiting(self, notify_runtime, texter, clock):
        from accounts.repository import opt_out_phone

        session, bookings = await texting_participants(2)
        await emit(notify_runtime, updated(clock, session, bookings))
        real_send = texter.send

        async def down(*args):
            raise ConnectionRefusedError("provider down")

        texter.send = down
        await deliver_due(notify_runtime)  # texts written (to their numbers), the provider down
        waiting = await outbox_rows(channel="sms", status="pending")
        assert sorted(r["recipient_email"] for r in waiting) == PHONES[:2]
        await opt_out_phone(PHONES[0], clock.now())  # STOP, before the retry
        texter.send = real_send
        clock.advance(minutes=5)
        await deliver_due(notify_runtime)
        assert [to for to, _, _ in texter.sent] == [PHONES[1]]
        (dropped,) = await outbox_rows(channel="sms", recipient_email=PHONES[0])
        assert dropped["status"] == "skipped"

    async def test_unticking_the_opt_in_drops_what_was_waiting(self, notify_runtime, texter, clock):
        from accounts.tables import User

        session, bookings = await texting_participants(1)
        await emit(notify_runtime, updated(clock, session, bookings))
        real_send = texter.send

        async def down(*args):
            raise ConnectionRefusedError("provider down")

        texter.send = down
        await deliver_due(notify_runtime)
        await User.update({User.sms_opt_in: False}).where(User.id == bookings[0]["user"]["id"])
        texter.send = real_send
        clock.advance(minutes=5)
        await deliver_due(notify_runtime)
        assert texter.sent == []


class TestTwilio:
    async def test_the_sdk_sends_through_the_configured_base(self, notify_runtime, twilio, clock):
        session, bookings = await texting_participants(1)
        await emit(notify_runtime, updated(clock, session, bookings))
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
        assert isinstance(notify_runtime.texter, TwilioTexter)
        (message,) = twilio.messages
        assert message["To"] == PHONES[0] and message["From"] == "+33700000000"
        assert len(message["Body"]) <= SMS_LIMIT

    @pytest.mark.parametrize("outage", ["refused", "5xx"])
    async def test_provider_down_for_a_while_then_back_sends_each_text_once(
            self, notify_runtime, twilio, clock, outage):
        if outage == "refused":
            twilio.stop()
        else:
            twilio.fail_status = 503
        session, bookings = await texting_participants(5)
        await emit(notify_runtime, updated(clock, session, bookings))
        await deliver_due(notify_runtime)
        texts = await outbox_rows(channel="sms")
        assert len(texts) == 5
        assert {(r["status"], r["attempts"]) for r in texts} == {("pending", 1)}
        assert all(r["last_error"].startswith("transient") for r in texts)
        tried = twilio.requests
        assert tried <= 1  # the rest of the batch did not wait on a dead provider

        clock.advance(seconds=10)
        await deliver_due(notify_runtime)  # not due yet
        assert twilio.requests == tried
        if outage == "refused":
            twilio.start()  # back, on the same port
        else:
            twilio.fail_status = None
        clock.advance(seconds=30)
        await deliver_due(notify_runtime)
        clock.advance(hours=1)
        await deliver_due(notify_runtime)
        assert Counter(m["To"] for m in twilio.messages) == Counter(PHONES)  # each once
        assert {r["status"] for r in await outbox_rows(channel="sms")} == {"sent"}

    async def test_a_refused_number_fails_alone(self, notify_runtime, twilio, clock):
        twilio.fail_status, twilio.fail_code = 400, 21211
        session, bookings = await texting_participants(2)
        await emit(notify_runtime, updated(clock, session, bookings))
        await deliver_due(notify_runtime)
        rows = await outbox_rows(channel="sms")
        assert all(r["last_error"].startswith("permanent") for r in rows)
        assert twilio.requests == 2  # a refusal is about one number: the next one was tried

    async def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(self, notify_runtime, twilio, clock):
        twilio.stop()
        session, bookings = await texting_participants(5)
        await emit(notify_runtime, updated(clock, session, bookings))
        await deliver_due(notify_runtime)  # emails out, texts rendered and waiting
        twilio.start()
        clock.advance(minutes=1)
        abandoned = await claim(clock.now(), "killed-worker", limit=2)  # then it dies
        assert len(abandoned) == 2 and {r["channel"] for r in abandoned} == {"sms"}
        await deliver_due(notify_runtime)
        assert len(twilio.messages) == 3
        clock.advance(seconds=LEASE.total_seconds() - 1)
        await deliver_due(notify_runtime)
        assert len(twilio.messages) == 3
        clock.advance(seconds=1)
        await deliver_due(notify_runtime)
        assert Counter(m["To"] for m in twilio.messages) == Counter(PHONES)
        assert {r["status"] for r in await outbox_rows(channel="sms")} == {"sent"}


class WorkerKilled(BaseException):
    """A SIGKILL, as far as the code under test can tell: it stops where it is."""


class TestCrash:
    async def test_a_crash_while_sending_repeats_at_most_the_text_in_flight(self, notify_runtime, texter, clock):
        session, bookings = await texting_participants(5)
        await emit(notify_runtime, updated(clock, session, bookings))
        real_send = texter.send

        async def send_then_die(to, body, key):
            await real_send(to, body, key)
            if len(texter.sent) == 3:
                raise WorkerKilled  # accepted by the provider, never marked sent

        texter.send = send_then_die
        with pytest.raises(WorkerKilled):
            for _ in range(3):
                await deliver_due(notify_runtime)
        assert len(await outbox_rows(channel="sms", status="sent")) == 2  # each marked at once
        texter.send = real_send
        clock.advance(seconds=LEASE.total_seconds())
        await deliver_due(notify_runtime)
        sent = Counter(to for to, _, _ in texter.sent)
        assert set(sent) == set(PHONES) and sum(sent.values()) <= len(PHONES) + 1
        assert {r["status"] for r in await outbox_rows(channel="sms")} == {"sent"}


class TestStopReply:
    async def test_a_stop_reply_stops_every_text_after_it(self, notify_runtime, texter, clock):
        from notify.replies import WEBHOOK_PATH, handle_reply
        from tests.fake_twilio import sign

        notify_runtime.settings = dataclasses.replace(notify_runtime.settings,
                                                      sms_url=FakeTwilio().sms_url)
        session, bookings = await texting_participants(1)
        await emit(notify_runtime, updated(clock, session, bookings))
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
        assert len(texter.sent) == 1
        params = {"MessageSid": "SM" + "1" * 32, "From": PHONES[0], "Body": "STOP"}
        await handle_reply(notify_runtime, params,
                           sign(notify_runtime.settings.base_url + WEBHOOK_PATH, params))
        await emit(notify_runtime, SessionUpdated(at=clock.now(), session_id=session["id"], sequence=2,
                                                  booking_ids=(bookings[0]["id"],)),
                   SessionCancelled(at=clock.now(), session_id=session["id"], sequence=3, reason="",
                                    booking_ids=(bookings[0]["id"],)))
        clock.advance(minutes=1)
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
        assert len(texter.sent) == 1  # nothing after the STOP
        assert len(await outbox_rows(channel="email", status="sent")) == 3  # the emails still go


@pytest.mark.slow
async def test_a_worker_process_killed_mid_send_texts_each_number_with_at_most_one_double(
        notify_runtime, database_url, clock, tmp_path):
    import asyncio
    import datetime as dt
    import os
    import signal
    import sys

    from kernel.clock import FrozenClock

    fake = FakeTwilio()
    victim: list[int] = []

    def kill_at_fourth(count: int) -> None:
        if count == 4 and victim:
            os.kill(victim[0], signal.SIGKILL)

    fake.on_message = kill_at_fourth
    fake.start()
    try:
        starts = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)  # the worker's clock is real
        session = await make_session(starts_at=starts)
        phones = [f"+336123456{n:02d}" for n in range(12)]
        bookings = [await make_booking_row(session, await make_user(phone=p, sms_opt_in=True)) for p in phones]
        await emit(notify_runtime, updated(clock, session, bookings))
        env = {**os.environ, "ALVEOLE_DATABASE_URL": database_url, "ALVEOLE_WORKER_POLL_SECONDS": "0.1",
               "ALVEOLE_MAIL_DIR": str(tmp_path / "mail"), "ALVEOLE_SMS_URL": fake.sms_url,
               "ALVEOLE_TWILIO_API_BASE": fake.base, "ALVEOLE_SMS_DIR": str(tmp_path / "sms")}
        env.pop("ALVEOLE_TEST_DATABASE_URL", None)
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "alveole.cli", "worker", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        victim.append(worker.pid)
        try:
            _, err = await asyncio.wait_for(worker.communicate(), timeout=90)
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        assert worker.returncode == -9, err.decode()[-2000:]
        assert sum(r["status"] == "sent" for r in await outbox_rows(channel="sms")) == 3

        # another worker, one lease after the crash (the injected clock, not a wait)
        fake.on_message = None
        notify_runtime.clock = FrozenClock(dt.datetime.now(dt.timezone.utc) + LEASE + dt.timedelta(seconds=1))
        notify_runtime.settings = dataclasses.replace(notify_runtime.settings, sms_url=fake.sms_url,
                                                      twilio_api_base=fake.base, sms_dir=tmp_path / "sms")
        notify_runtime.texter = None
        await deliver_due(notify_runtime)
        await deliver_due(notify_runtime)
    finally:
        fake.stop()
    assert {r["status"] for r in await outbox_rows(channel="sms")} == {"sent"}
    received = Counter(m["To"] for m in fake.messages)
    assert set(received) == set(phones)  # every text delivered
    assert sum(received.values()) <= len(phones) + 1  # at most the one in flight, twice
