"""A cancelled session tells its waitlist too (finding 10): each withdrawn entry's participant
gets the session_cancelled email, in their language, without a calendar part (they were never
sent an invite)."""
from __future__ import annotations

import datetime as dt

import pytest

from kernel.events import SessionCancelled
from notify.notifier import OutboxNotifier
from notify.outbox import deliver_due
from tests.factories import make_session, make_user, make_waitlist_row

from .conftest import emit

AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


def test_the_notifier_writes_one_row_per_withdrawn_entry():
    rows = OutboxNotifier().outbox_rows([SessionCancelled(at=AT, session_id=4, sequence=2, reason="Flood",
                                                          booking_ids=(7,), waitlist_entry_ids=(11, 12))])
    assert [(r.kind, r.dedupe_key, r.payload.get("booking_id"), r.payload.get("entry_id")) for r in rows] == [
        ("session_cancelled", "session_cancelled:4:7", 7, None),
        ("session_cancelled", "session_cancelled:4:entry:11", None, 11),
        ("session_cancelled", "session_cancelled:4:entry:12", None, 12),
    ]


@pytest.mark.parametrize("locale, words", [("en", "no longer on its waitlist"), ("fr", "liste d’attente")])
async def test_a_waitlisted_participant_is_told(notify_runtime, mailer, clock, locale, words):
    session = await make_session()
    waiting = await make_user(locale=locale)
    entry = await make_waitlist_row(session, waiting, status="withdrawn")
    await emit(notify_runtime, SessionCancelled(at=clock.now(), session_id=session["id"], sequence=1,
                                                reason="Flood", waitlist_entry_ids=(entry["id"],)))
    assert await deliver_due(notify_runtime) == 1
    [message] = mailer.messages
    assert message["To"].addresses[0].addr_spec == waiting["email"]
    assert message["X-Alveole-Kind"] == "session_cancelled"
    body = message.get_body(("plain",)).get_content()
    assert words in body and "Flood" in body
    assert not any(part.get_content_type() == "text/calendar" for part in message.walk())
