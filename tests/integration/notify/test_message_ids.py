"""Message-IDs are globally unique: random per row, stored with its rendering (so its retries
carry the same one), never shared by two rows, not even rows of the same id and dedupe key in
two databases."""
from __future__ import annotations

import re
import shutil

import aiosmtplib
import pytest

from kernel import db as dbmod
from kernel.events import BookingConfirmed
from notify.outbox import deliver_due
from tests.conftest import PG_URL, runtime_on
from tests.factories import make_booking_row, make_session, make_user

from .conftest import RecordingMailer, emit, outbox_rows

MESSAGE_ID = re.compile(r"^<outbox\.(\d+)\.[0-9a-f]{32}@[^>\s]+>$")


async def one_confirmation(runtime, clock) -> None:
    alice = await make_user(email="alice@example.org")
    session = await make_session()
    booking = await make_booking_row(session, alice)
    await emit(runtime, BookingConfirmed(at=clock.now(), booking_id=booking["id"],
                                         session_id=session["id"], user_id=alice["id"]))


@pytest.mark.skipif(bool(PG_URL), reason="needs two databases: SQLite files")
async def test_the_same_row_in_two_databases_gets_two_message_ids(migrated_template, tmp_path, settings,
                                                                  clock):
    found = []
    for name in ("first.db", "second.db"):
        path = tmp_path / name
        shutil.copyfile(migrated_template, path)
        database = await dbmod.connect(f"sqlite:///{path}")
        try:
            mailer = RecordingMailer()
            runtime = runtime_on(settings, clock, database, mailer=mailer)
            await one_confirmation(runtime, clock)
            await deliver_due(runtime)
            (message,) = mailer.messages
            (row,) = await outbox_rows()
            found.append((row["id"], row["dedupe_key"], message["Message-ID"]))
        finally:
            await dbmod.disconnect(database)
    (first_id, first_key, first), (second_id, second_key, second) = found
    assert (first_id, first_key) == (second_id, second_key)  # the very same row…
    assert first != second  # …and still two Message-IDs
    assert all(MESSAGE_ID.match(m) and MESSAGE_ID.match(m).group(1) == str(first_id) for m in (first, second))


async def test_every_row_has_its_own_and_keeps_it_for_its_retries(notify_runtime, mailer, clock):
    await one_confirmation(notify_runtime, clock)
    users = [await make_user() for _ in range(4)]
    for user in users:
        session = await make_session()
        booking = await make_booking_row(session, user)
        await emit(notify_runtime, BookingConfirmed(at=clock.now(), booking_id=booking["id"],
                                                    session_id=session["id"], user_id=user["id"]))
    mailer.fail_with = aiosmtplib.SMTPServerDisconnected("relay went away")
    await deliver_due(notify_runtime)
    first_try = {r["id"]: r["message_id"] for r in await outbox_rows()}
    assert len(set(first_try.values())) == 5 and all(MESSAGE_ID.match(m) for m in first_try.values())

    mailer.fail_with = None
    clock.advance(minutes=10)
    await deliver_due(notify_runtime)
    assert {r["status"] for r in await outbox_rows()} == {"sent"}
    assert {r["id"]: r["message_id"] for r in await outbox_rows()} == first_try
    assert sorted(m["Message-ID"] for m in mailer.messages) == sorted(first_try.values())
